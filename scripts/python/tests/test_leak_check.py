import unittest

from virt_exporter_tools.leak_check import leaks

LEAKY = """
=================================================================
==123==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 96 byte(s) in 1 object(s) allocated from:
    #0 0x55 in malloc
SUMMARY: AddressSanitizer: 19442 byte(s) leaked in 160 allocation(s).
"""

USE_AFTER_FREE = """
==124==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010
SUMMARY: AddressSanitizer: heap-use-after-free (/x+0x1) in main
"""


class ReportTests(unittest.TestCase):
    def test_reads_the_leak_summary(self):
        report = leaks.Report(LEAKY)
        self.assertEqual((report.bytes, report.allocations), (19442, 160))
        self.assertEqual(report.errors, [])

    def test_no_summary_is_no_leak(self):
        report = leaks.Report("clean exit\n")
        self.assertEqual((report.bytes, report.allocations), (0, 0))

    def test_memory_errors_are_reported(self):
        report = leaks.Report(USE_AFTER_FREE)
        self.assertEqual(len(report.errors), 1)
        self.assertIn("heap-use-after-free", report.errors[0])

    def test_growth_beyond_the_tolerance_fails(self):
        short = leaks.Report("SUMMARY: AddressSanitizer: 100 byte(s) leaked in 3 allocation(s).")
        same = leaks.Report("SUMMARY: AddressSanitizer: 120 byte(s) leaked in 4 allocation(s).")
        grown = leaks.Report("SUMMARY: AddressSanitizer: 9000 byte(s) leaked in 40 allocation(s).")
        self.assertFalse(leaks.grows(short, same, tolerance=2))
        self.assertTrue(leaks.grows(short, grown, tolerance=2))
        self.assertEqual(leaks.growth(short, grown), (37, 8900))


if __name__ == "__main__":
    unittest.main()
