"""scripts/kernel and scripts/apt-suite when the archive cannot be reached.

An archive that does not answer must stop a fetch with that reason: never be taken for
"the pinned kernel is gone" (which would pin another kernel), never leave a pin behind.
The mirrors point at a closed port on this machine, so nothing leaves it.

    python3 -m unittest discover -s tests/scripts      (make script-tests)
"""
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "..", "..", "scripts")


class UnreachableArchive(unittest.TestCase):
    def run_script(self, cache, *args, kernel="7.x"):
        env = dict(os.environ, BIOCHAIN_CACHE=cache, BIOCHAIN_KERNEL=kernel,
                   BIOCHAIN_DEBIAN_MIRROR="http://127.0.0.1:9/debian",
                   BIOCHAIN_DEBIAN_SECURITY_MIRROR="http://127.0.0.1:9/debian-security")
        return subprocess.run(list(args), env=env, capture_output=True, text=True, timeout=120)

    def test_apt_suite_says_unreachable(self):
        with tempfile.TemporaryDirectory() as cache:
            r = self.run_script(cache, os.path.join(SCRIPTS, "apt-suite"), "trixie",
                                "apt-cache", "show", "dkms")
            self.assertEqual(r.returncode, 75, r.stderr)
            self.assertIn("unreachable", r.stderr)

    def test_kernel_stops_and_pins_nothing(self):
        with tempfile.TemporaryDirectory() as cache:
            r = self.run_script(cache, os.path.join(SCRIPTS, "kernel"), "--release")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("cannot be reached", r.stderr)
            self.assertNotIn("no longer carries", r.stderr)
            kernel_dir = os.path.join(cache, "kernel")
            pins = [f for f in os.listdir(kernel_dir)] if os.path.isdir(kernel_dir) else []
            self.assertEqual([p for p in pins if p.endswith(".release")], [])


if __name__ == "__main__":
    unittest.main()
