"""Run every benchmark in turn (`make bench`)."""

from benchmarks import (
    ai_copy,
    campaigns,
    emailing,
    invoices,
    migrations,
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
        migrations,
        records,
        properties,
        property_media,
        property_matching,
        campaigns,
        ai_copy,
        invoices,
        emailing,
    ):
        print(f"== {module.__name__}", flush=True)
        module.main()
