"""Run every benchmark in turn (`make bench`)."""

from benchmarks import (
    campaigns,
    properties,
    property_matching,
    property_media,
    provisioning,
    records,
    tenancy_overhead,
)

if __name__ == "__main__":
    for module in (
        tenancy_overhead,
        provisioning,
        records,
        properties,
        property_media,
        property_matching,
        campaigns,
    ):
        print(f"== {module.__name__}", flush=True)
        module.main()
