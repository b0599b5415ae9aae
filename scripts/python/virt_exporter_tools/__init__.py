"""The programs behind virt-exporter's scripts.

`check_deploy` checks the deployment files (alert rules, the Grafana dashboard, the systemd unit)
against the exporter's metric catalog; `bench_e2e` benchmarks the exporter end to end on the
testbed. `scripts/check-deploy` and `scripts/bench-e2e` are their entry points. Only Python's
standard library is used, so Debian's `python3` runs them as it is.
"""
