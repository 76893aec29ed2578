"""scripts/bench-report's paired statistics, on synthetic paired.tsv files.

The paired phase's figure is only as good as its cancellation of the two biases it
knows of (which null_blk devices a side has, and which place it has in the fio command)
and as honest as its interval. These tests build rounds whose ratios carry exactly those
biases and check that a cycle of 4 rounds removes them, that the interval widens with
the spread of the cycles and is absent below two, and that failed runs are left out and
reported.

    python3 -m unittest discover -s tests/scripts      (make script-tests)
"""
import importlib.machinery
import importlib.util
import math
import os
import statistics
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "bench-report")


def load_report():
    loader = importlib.machinery.SourceFileLoader("bench_report", SCRIPT)
    spec = importlib.util.spec_from_loader("bench_report", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


report = load_report()

HEADER = "job\tpair\tround\ta\tb\ta_iops\tb_iops\tratio\tstatus\n"


def biased_ratio(true_ratio, rnd, side_bias, place_bias):
    """The ratio tests/vm/bench-paired would see in round rnd (1-based): sides swap every
    round, places every other pair of rounds."""
    side = side_bias if rnd % 2 else 1 / side_bias
    place = place_bias if (rnd - 1) // 2 % 2 == 0 else 1 / place_bias
    return true_ratio * side * place


def write_results(directory, ratios, statuses=None, job="randread-4k-qd32", pair="striped"):
    statuses = statuses or {}
    with open(os.path.join(directory, "paired.tsv"), "w", encoding="utf-8") as f:
        f.write(HEADER)
        for rnd, ratio in enumerate(ratios, start=1):
            status = statuses.get(rnd, "ok")
            f.write(f"{job}\t{pair}\t{rnd}\tdm_stripe_x\tbc_striped_y\t1000\t{1000 * ratio:.6f}\t"
                    f"{ratio:.6f}\t{status}\n")
    with open(os.path.join(directory, "paired-meta.tsv"), "w", encoding="utf-8") as f:
        f.write(f"rounds\t{len(ratios)}\nruns\t{len(ratios)}\n")


def summary_of(ratios, statuses=None):
    with tempfile.TemporaryDirectory() as d:
        write_results(d, ratios, statuses)
        problems = []
        paired = report.summarise_paired(d, {}, problems)
    (entry,) = [e for e in paired["summary"] if e["pair"] == "striped"]
    return entry, problems


class CycleCancelsTheKnownBiases(unittest.TestCase):
    def test_each_cycle_is_the_true_ratio(self):
        ratios = [biased_ratio(1.013, r, side_bias=1.04, place_bias=0.98) for r in range(1, 13)]
        entry, problems = summary_of(ratios)
        self.assertEqual(problems, [])
        self.assertEqual(len(entry["swaps"]), 3)
        for cycle in entry["swaps"]:
            self.assertAlmostEqual(cycle, 1.013, places=5)
        self.assertAlmostEqual(entry["geomean"], 1.013, places=5)
        # the rounds themselves are far from it: the cancellation is doing the work
        self.assertGreater(max(ratios) / min(ratios), 1.08)

    def test_an_incomplete_cycle_is_not_an_estimate(self):
        ratios = [biased_ratio(1.0, r, 1.05, 1.0) for r in range(1, 7)]  # 1.5 cycles
        entry, _ = summary_of(ratios)
        self.assertEqual(len(entry["swaps"]), 1)
        self.assertAlmostEqual(entry["geomean"], 1.0, places=5)


class ConfidenceInterval(unittest.TestCase):
    def test_matches_student_t_over_logs(self):
        cycles = [1.010, 0.995, 1.020, 1.002, 0.990]
        low, high = report.confidence_interval(cycles)
        logs = [math.log(c) for c in cycles]
        half = 2.776 * statistics.stdev(logs) / math.sqrt(len(logs))  # t(0.975, df=4)
        self.assertAlmostEqual(low, math.exp(statistics.fmean(logs) - half), places=9)
        self.assertAlmostEqual(high, math.exp(statistics.fmean(logs) + half), places=9)
        self.assertLess(low, 1.0)
        self.assertGreater(high, 1.0)

    def test_fewer_than_two_estimates_have_none(self):
        self.assertEqual(report.confidence_interval([]), (None, None))
        self.assertEqual(report.confidence_interval([1.02]), (None, None))

    def test_wider_spread_wider_interval_and_more_cycles_narrower(self):
        tight = report.confidence_interval([1.00, 1.01, 0.99, 1.00])
        loose = report.confidence_interval([1.00, 1.04, 0.96, 1.00])
        self.assertLess(tight[1] - tight[0], loose[1] - loose[0])
        more = report.confidence_interval([1.00, 1.01, 0.99, 1.00] * 4)
        self.assertLess(more[1] - more[0], tight[1] - tight[0])

    def test_large_samples_use_the_normal_quantile(self):
        cycles = [1.0 + 0.01 * ((i % 5) - 2) for i in range(40)]
        low, high = report.confidence_interval(cycles)
        logs = [math.log(c) for c in cycles]
        half = 1.96 * statistics.stdev(logs) / math.sqrt(len(logs))
        self.assertAlmostEqual(high, math.exp(statistics.fmean(logs) + half), places=9)
        self.assertAlmostEqual(low, math.exp(statistics.fmean(logs) - half), places=9)

    def test_summary_carries_the_interval(self):
        noise = [1.01, 0.99, 1.00, 1.02, 0.98, 1.00, 1.01, 0.99]
        ratios = [biased_ratio(1.005, r, 1.03, 1.01) * noise[r - 1] for r in range(1, 9)]
        entry, _ = summary_of(ratios)
        self.assertLessEqual(entry["ci95_low"], entry["geomean"])
        self.assertGreaterEqual(entry["ci95_high"], entry["geomean"])
        self.assertIn("95 % CI", report.fmt_swaps(entry))


class FailedRuns(unittest.TestCase):
    def test_a_failed_round_is_reported_and_breaks_its_cycle_only(self):
        ratios = [biased_ratio(0.99, r, 1.02, 1.0) for r in range(1, 9)]
        entry, problems = summary_of(ratios, statuses={6: "fio error 5/0"})
        self.assertEqual(problems, ["paired randread-4k-qd32 striped round 6: fio error 5/0"])
        self.assertEqual(len(entry["swaps"]), 1)  # cycle 5-8 lost round 6
        self.assertAlmostEqual(entry["geomean"], 0.99, places=5)
        self.assertIsNone(entry["ci95_low"])


if __name__ == "__main__":
    unittest.main()
