"""Run every benchmark in turn (`make bench`)."""

from benchmarks import register, tenancy_overhead

if __name__ == "__main__":
    for module in (tenancy_overhead, register):
        print(f"== {module.__name__}")
        module.main()
