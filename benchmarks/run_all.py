"""Run every benchmark in turn (`make bench`)."""

from benchmarks import (
    ai_copy,
    campaigns,
    emailing,
    imports,
    invoices,
    properties,
    property_matching,
    property_media,
    provisioning,
    records,
    tenancy_overhead,
    webhooks,
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
        ai_copy,
        invoices,
        emailing,
        imports,
        webhooks,
    ):
        print(f"== {module.__name__}", flush=True)
        module.main()
