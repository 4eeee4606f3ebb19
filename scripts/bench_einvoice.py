"""E-invoice reading benchmark (AP-INV-3): time to read one UBL and one CII invoice with
portal.invoices.einvoice.read_einvoice, next to its floor — lxml parse + validation by the already
compiled XSD — and to what factur-x's own check costs (it compiles the XSD on every call).

Each figure is the median and p95 of --repeat runs, in milliseconds, after one warm-up call (the
first call of a process compiles the schema: that cost is printed apart). Targets are read here,
never asserted in tests: ≤ 10 ms per UBL invoice.

    .venv/bin/python scripts/bench_einvoice.py              # 200 repetitions
    .venv/bin/python scripts/bench_einvoice.py --repeat 50
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import facturx  # noqa: E402
from lxml import etree  # noqa: E402

from portal.invoices import einvoice  # noqa: E402
from tests.einvoice_samples import coffee_invoice_data, zugferd1_xml  # noqa: E402


def _timed(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def _floor(xml, xsd_file):
    schema, _lock = einvoice._schema(xsd_file)

    def run():
        schema.validate(etree.fromstring(xml, einvoice._xml_parser()))
    return run


def _library_floor(xml, xsd_file, flavor, level):
    """The floor plus factur-x's field reader: what the reading cannot go below while it uses factur-x."""
    schema, _lock = einvoice._schema(xsd_file)

    def run():
        root = etree.fromstring(xml, einvoice._xml_parser())
        schema.validate(root)
        facturx.parse_ubl_cii_xml(root, flavor=flavor, level=level, check_xsd=False)
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    samples = {
        "UBL 2.1 invoice": (facturx.generate_xml(coffee_invoice_data(), flavor="ubl-2.1", level="en16931",
                                                 check_schematron=False), einvoice.UBL_21_xsd["ubl-2.1-invoice"],
                            "ubl-2.1-invoice", "en16931"),
        "CII EN 16931": (facturx.generate_xml(coffee_invoice_data(), flavor="factur-x", level="en16931",
                                              check_schematron=False), einvoice.FACTURX_LEVEL2xsd["en16931"],
                         "factur-x", "en16931"),
        "ZUGFeRD 1.0 COMFORT": (zugferd1_xml(), einvoice.ZUGFERD_xsd, "zugferd", None),
    }
    print(f"{'document':22} {'first call':>11} {'read median':>12} {'p95':>7} {'floor median':>13} "
          f"{'ratio':>6} {'+ field reader':>15} {'ratio':>6} {'factur-x check':>15}")
    results = {}
    for name, (xml, xsd_file, flavor, level) in samples.items():
        einvoice._schema.cache_clear()
        start = time.perf_counter()
        einvoice.read_einvoice(xml)
        first = (time.perf_counter() - start) * 1000
        read_median, read_p95 = _timed(lambda: einvoice.read_einvoice(xml), args.repeat)
        floor_median, _ = _timed(_floor(xml, xsd_file), args.repeat)
        check_median, _ = _timed(lambda: facturx.xml_check_xsd(xml, flavor=flavor, level=level or "autodetect"),
                                 max(5, args.repeat // 20))
        results[name] = (read_median, floor_median)
        if flavor == "zugferd":  # factur-x has no ZUGFeRD 1.0 reader: ours is the whole cost
            library = "n/a"
        else:
            library_median, _ = _timed(_library_floor(xml, xsd_file, flavor, level), args.repeat)
            library = f"{library_median:13.2f}ms {read_median / library_median:5.1f}×"
        print(f"{name:22} {first:9.1f}ms {read_median:10.2f}ms {read_p95:5.2f}ms {floor_median:11.2f}ms "
              f"{read_median / floor_median:5.1f}× {library:>22} {check_median:13.1f}ms")
    ubl = results["UBL 2.1 invoice"][0]
    print(f"\nTarget ≤ 10 ms per UBL invoice: {'met' if ubl <= 10 else 'NOT met'} ({ubl:.2f} ms).")
    print("floor = lxml parse + validate with the compiled XSD; + field reader = that floor plus "
          "facturx.parse_ubl_cii_xml; factur-x check = facturx.xml_check_xsd "
          "(parses the XSD again on each call, as the reader did before).")


if __name__ == "__main__":
    main()
