"""Run every benchmark in turn (`make bench`)."""

from benchmarks import (
    ai_copy,
    boards,
    campaigns,
    emailing,
    framework_ratio,
    imports,
    invoices,
    migrations,
    properties,
    property_matching,
    property_media,
    provisioning,
    records,
    serving,
    tenancy_overhead,
    webhooks,
)

if __name__ == "__main__":
    for module in (
        tenancy_overhead,
        framework_ratio,
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
        serving,
        boards,
        imports,
        webhooks,
    ):
        print(f"== {module.__name__}", flush=True)
        module.main()
