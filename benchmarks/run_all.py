"""Run every benchmark in turn (`make bench`)."""

from benchmarks import provisioning, records, tenancy_overhead

if __name__ == "__main__":
    for module in (tenancy_overhead, provisioning, records):
        print(f"== {module.__name__}", flush=True)
        module.main()
