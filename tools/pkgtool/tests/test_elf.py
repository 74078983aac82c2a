"""tools/pkgtool/elf.py: reads what the release check needs and refuses what it cannot read."""

import os
import shutil
import tempfile
import unittest

from pkgtool import elf as E
from pkgtool.tests import elfbuild

NEEDED = ("libm.so.5", "libthr.so.3", "libc.so.7")


class Parse(unittest.TestCase):
    def test_reads_osabi_note_interpreter_needed_and_symbols(self):
        e = E.parse("x", elfbuild.build(needed=NEEDED, symbols=("main", "_ZN6vimage4exec5apply17h0E")))
        self.assertEqual(e.osabi, 9)
        self.assertEqual(e.machine, 62)
        self.assertEqual(e.freebsd_osversion(), 1400500)
        self.assertEqual(e.interpreter, "/libexec/ld-elf.so.1")
        self.assertEqual(e.needed, list(NEEDED))
        self.assertIn("_ZN6vimage4exec5apply17h0E", e.symbols())
        self.assertTrue(e.has_symtab())
        self.assertEqual(E.freebsd_problems(e), [])

    def test_reads_the_symbol_versions_needed(self):
        e = E.parse("x", elfbuild.build(verneed={"libc.so.7": ["FBSD_1.0", "FBSD_1.7"], "libthr.so.3": ["FBSD_1.0"]}))
        self.assertEqual(e.version_needs, {"libc.so.7": ["FBSD_1.0", "FBSD_1.7"], "libthr.so.3": ["FBSD_1.0"]})
        self.assertEqual(E.newest_fbsd_version(e), (1, 7))
        self.assertEqual(E.freebsd_problems(e), [])
        newer = E.parse("x", elfbuild.build(verneed={"libc.so.7": ["FBSD_1.8"]}))
        self.assertEqual(E.freebsd_problems(newer), ["needs symbol version FBSD_1.8, newer than FBSD_1.7"])

    def test_a_note_of_another_type_is_not_the_abi_tag(self):
        data = elfbuild.build(osversion=None)
        self.assertIsNone(E.parse("x", data).freebsd_osversion())

    def test_refuses_what_it_cannot_read(self):
        for data, msg in [(b"#!/bin/sh\n" + b"\0" * 80, "not an ELF"),
                          (elfbuild.build(elfclass=1), "not a 64-bit"),
                          (elfbuild.build()[:200], "truncated")]:
            with self.assertRaises(E.ElfError) as cm:
                E.parse("x", data)
            self.assertIn(msg, str(cm.exception))


class FreeBsdProblems(unittest.TestCase):
    def problems(self, **kw):
        return E.freebsd_problems(E.parse("x", elfbuild.build(**kw)), osversion=1400500)

    def test_each_deviation_is_named(self):
        cases = [
            (dict(osabi=0), "OS/ABI is 0 (System V), not 9"),
            (dict(osabi=3), "OS/ABI is 3 (Linux (GNU))"),
            (dict(machine=183), "machine is 183 (AArch64)"),
            (dict(osversion=None), "no FreeBSD ABI tag note"),
            (dict(osversion=1302000), "__FreeBSD_version 1302000, expected 1400500"),
            (dict(interp="/lib64/ld-linux-x86-64.so.2"), "interpreter is '/lib64/ld-linux-x86-64.so.2'"),
            (dict(interp=None), "interpreter is None"),
            (dict(needed=("libc.so.7", "libssl.so.30")), "unexpected NEEDED libraries: libssl.so.30"),
            (dict(needed=("libthr.so.3",)), "libc.so.7 is not NEEDED"),
        ]
        for kw, want in cases:
            with self.subTest(kw=kw):
                got = self.problems(**kw)
                self.assertEqual(len(got), 1, got)
                self.assertIn(want, got[0])


class SimulatorTraces(unittest.TestCase):
    def test_finds_simulator_symbols_and_strings_and_nothing_in_a_clean_binary(self):
        dirty = E.parse("x", elfbuild.build(symbols=("main", "_ZN6vimage3sim6kernel6Kernel4demo17hE"),
                                            rodata=b"panicked at src/sim/kernel/mod.rs:12"))
        syms, strings = E.simulator_traces(dirty)
        self.assertEqual(syms, ["_ZN6vimage3sim6kernel6Kernel4demo17hE"])
        self.assertEqual([(m, s) for m, s, _ in strings], [("src/sim/", ".rodata")])
        clean = E.parse("x", elfbuild.build(symbols=("main", "_ZN6vimage4host7freebsd3run17hE"),
                                            rodata=b"src/host/freebsd.rs"))
        self.assertEqual(E.simulator_traces(clean), ([], []))

    @unittest.skipUnless(os.environ.get("VIMAGE_TEST_BINARY"), "set by tests/pkgtool.rs")
    def test_the_markers_match_a_real_build_with_the_simulator(self):
        # The positive control: a vimage built with the simulator (the Linux test binary) must
        # show its traces, or the markers would prove nothing about the release binary.
        e = E.parse(os.environ["VIMAGE_TEST_BINARY"])
        syms, strings = E.simulator_traces(e)
        self.assertTrue(any("8fbsd_sim" in s for s in syms), syms[:5])
        self.assertIn("crates/fbsd-sim/", [m for m, _, _ in strings])
        self.assertTrue(any("OS/ABI" in p for p in E.freebsd_problems(e)))


class Brand(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def test_sets_only_the_osabi_byte(self):
        p = os.path.join(self.dir, "b")
        before = elfbuild.build(osabi=0)
        with open(p, "wb") as f:
            f.write(before)
        self.assertEqual(E.brand_freebsd(p), 0)
        with open(p, "rb") as f:
            after = f.read()
        self.assertEqual(after[7], 9)
        self.assertEqual(before[:7] + before[8:], after[:7] + after[8:])
        self.assertEqual(E.freebsd_problems(E.parse(p)), [])
        self.assertEqual(E.brand_freebsd(p), 9)  # twice: nothing more changes

    def test_refuses_a_binary_without_the_freebsd_note(self):
        p = os.path.join(self.dir, "b")
        with open(p, "wb") as f:
            f.write(elfbuild.build(osabi=0, osversion=None))
        with self.assertRaises(E.ElfError):
            E.brand_freebsd(p)
        with open(p, "rb") as f:
            self.assertEqual(f.read()[7], 0)


if __name__ == "__main__":
    unittest.main()
