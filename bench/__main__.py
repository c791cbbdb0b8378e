"""Print Palabre's figures: `make bench`."""

import warnings

from bench import cold_start, machine, roster_import


def main() -> None:
    warnings.filterwarnings("ignore")
    print(f"Palabre bench — {machine.describe()}\n")

    figures = roster_import.measure()
    print(f"Roster import: {roster_import.ROWS:,} rows ({figures['megabytes']:.1f} MB CSV)")
    print(f"  parse + validate every cell  {figures['validate']:>9,.0f} rows/s   (our code alone)")
    for label in ("first upload", "same file again"):
        run = figures[label]
        calls = ", ".join(f"{n} {name}" for name, n in sorted(run["requests"].items()))
        print(
            f"  {label + ', end to end':<28} {run['rows/s']:>9,.0f} rows/s   "
            f"({run['seconds']:.1f} s against in-process moto; DynamoDB: {calls})"
        )

    imports = cold_start.measure()
    baseline = imports.pop("boto3")
    print(f"\nCold import of each handler (median of {cold_start.RUNS} fresh interpreters)")
    print(f"  {'import boto3':<28} {baseline * 1000:>7.0f} ms   1.00 x boto3")
    for function, seconds in imports.items():
        print(f"  {function:<28} {seconds * 1000:>7.0f} ms   {seconds / baseline:.2f} x boto3")


if __name__ == "__main__":
    main()
