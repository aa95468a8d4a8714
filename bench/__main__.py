"""`make bench`: every scenario against the sandbox Spotify; prints a table and writes
bench/results/latest.json and the README's "Performance" section.

    python -m bench                      # every scenario
    python -m bench gateway_paging_10k   # just these
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from bench import harness


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("scenarios", nargs="*", help="names to run (default: all)")
    parser.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    options = parser.parse_args(argv)

    env = harness.configure_environment()
    import django

    django.setup()
    from bench import scenarios  # registers every scenario

    unknown = set(options.scenarios) - set(harness.SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    names = options.scenarios or sorted(
        harness.SCENARIOS, key=lambda name: [*scenarios.ORDER, name].index(name)
    )

    database = harness.reset_database()
    if database == "sqlite":
        print(
            "DATABASE_URL is unset: benchmarking on SQLite "
            "(CI and the README numbers use PostgreSQL)"
        )
    sha = harness.git_sha()
    results = []
    with harness.SandboxServer(env) as server:
        for name in names:
            print(f"… {name}", flush=True)
            result = harness.run(name, server, database, sha)
            results.append(result)
            print(f"  {format_row(result)}", flush=True)

    table = render_table(results)
    print()
    print(table)
    harness.RESULTS.mkdir(parents=True, exist_ok=True)
    (harness.RESULTS / "latest.json").write_text(
        json.dumps(harness.as_dicts(results), indent=2) + "\n"
    )
    print(f"\nwrote {harness.RESULTS / 'latest.json'}")
    if not options.no_readme and not options.scenarios:
        update_readme(table, results, database, sha)
    return 0 if all(result.ok for result in results) else 1


def format_row(result: harness.Result) -> str:
    minimum = "" if result.minimum_calls is None else f" (minimum {result.minimum_calls})"
    rate = "" if result.rows_per_s is None else f", {result.rows_per_s:,.0f} rows/s"
    verdict = "ok" if result.ok else "NOT OK"
    return (
        f"{result.spotify_calls} calls{minimum}, {result.wall_s:.2f} s, "
        f"peak {result.peak_rss_mb:.0f} MB{rate}: {verdict} {result.notes}"
    )


def render_table(results: list[harness.Result]) -> str:
    lines = [
        "| scenario | Spotify calls | minimum | wall s | peak RSS MB | rows/s | ok | notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        minimum = "" if r.minimum_calls is None else str(r.minimum_calls)
        rate = "" if r.rows_per_s is None else f"{r.rows_per_s:,.0f}"
        lines.append(
            f"| {r.scenario} | {r.spotify_calls} | {minimum} | {r.wall_s:.2f} "
            f"| {r.peak_rss_mb:.0f} | {rate} | {'yes' if r.ok else 'NO'} | {r.notes} |"
        )
    return "\n".join(lines)


def update_readme(table: str, results: list[harness.Result], database: str, sha: str) -> None:
    readme = harness.ROOT / "README.md"
    text = readme.read_text()
    created = results[0].created_at if results else ""
    section = (
        "<!-- bench:start -->\n"
        f"Measured {created} at git {sha} on {database}, {harness.machine()} "
        "(`make bench`; raw numbers in `bench/results/latest.json`).\n\n"
        f"{table}\n"
        "<!-- bench:end -->"
    )
    if "<!-- bench:start -->" in text:
        text = re.sub(
            r"<!-- bench:start -->.*<!-- bench:end -->", lambda _: section, text, flags=re.S
        )
    else:
        text = text.rstrip() + "\n\n## Performance\n\n" + section + "\n"
    readme.write_text(text)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
