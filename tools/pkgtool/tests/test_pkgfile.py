"""tools/pkgtool/pkgfile.py and plist.py: pkg's checksum, encoding and manifest rules, and a
whole package written from a small staged tree. (tests/package.rs reads the real package with
an independent reader; these pin the rules one by one.)"""

import hashlib
import io
import json
import lzma
import os
import shutil
import tarfile
import tempfile
import unittest

from pkgtool import pkgfile as F
from pkgtool import plist as P
from pkgtool.tests import elfbuild

META = {"name": "demo", "version": "1.2", "origin": "sysutils/demo", "comment": "c", "maintainer": "m@example.org",
        "www": "https://example.org", "abi": "FreeBSD:14:amd64", "prefix": "/usr/local", "licenselogic": "single",
        "licenses": ["BSD2CLAUSE"], "categories": ["sysutils"], "desc": "  caf\u00e9 100%\n"}


class Rules(unittest.TestCase):
    def test_zbase32_is_pkgs_least_significant_bits_first_encoding(self):
        # pkg_checksum_encode_base32 by hand: 0x01 -> low 5 bits 1 ('b'), then the 3 high bits 0 ('y').
        self.assertEqual(F.zbase32(b"\x01"), "by")
        self.assertEqual(F.zbase32(b"\xff"), "98")  # 31 -> '9', remaining 7 -> '8'
        self.assertEqual(F.zbase32(b"\x00" * 5), "y" * 8)
        # bits 5..9 of 0x20,0x00: 0x20 >> 5 = 1 carried into the second digit
        self.assertEqual(F.zbase32(b"\x20\x00"), "yby" + "y")
        self.assertEqual(len(F.zbase32(bytes(64))), 103)

    def test_a_symlink_is_summed_by_its_target_without_the_slash_and_with_the_nul(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        os.symlink("/usr/local/bin/vimage", os.path.join(d, "abs"))
        os.symlink("../bin/vimage", os.path.join(d, "rel"))
        b2 = lambda data: "2$" + F.zbase32(hashlib.blake2b(data, digest_size=64).digest())  # noqa: E731
        self.assertEqual(F.file_sum(os.path.join(d, "abs")), b2(b"usr/local/bin/vimage\0"))
        self.assertEqual(F.file_sum(os.path.join(d, "rel")), b2(b"../bin/vimage"))
        with open(os.path.join(d, "f"), "wb") as f:
            f.write(b"data")
        self.assertEqual(F.file_sum(os.path.join(d, "f")), b2(b"data"))

    def test_urlencode_only_touches_percent_and_non_ascii(self):
        self.assertEqual(F.urlencode("/usr/local/a b%.txt"), "/usr/local/a b%25.txt")
        self.assertEqual(F.urlencode("caf\u00e9"), "caf%c3%a9")

    def test_ucl_compact_json(self):
        self.assertEqual(F.ucl_json({"a": [1, "x\ny"], "b": {"c": True}}), '{"a":[1,"x\\ny"],"b":{"c":true}}')
        self.assertEqual(F.ucl_json("tab\tq\"\\\x01\v"), '"tab\\tq\\"\\\\\\uFFFD\\u000B"')

    def test_perm_is_printf_hash_4_4_o(self):
        self.assertEqual([F.perm_str(p) for p in (0o755, 0o444, 0o4555, 0, 0o7)], ["0755", "0444", "04555", "0000",
                                                                                  "0007"])

    def test_legacy_arch(self):
        self.assertEqual(F.arch_to_legacy("FreeBSD:14:amd64"), "freebsd:14:x86:64")
        self.assertEqual(F.arch_to_legacy("FreeBSD:14:aarch64"), "freebsd:14:aarch64:64")


class Plist(unittest.TestCase):
    def test_keywords(self):
        pl = P.parse("bin/a\n@mode 0700\n@owner operator\nlibexec/b\n@mode\n@owner\n@(,staff,0640) etc/c\n"
                     "@comment ignored\n# also ignored\n@dir share/d\n@sample etc/x.conf.sample\n"
                     "@sample etc/y.sample etc/y.conf\n/var/abs\n")
        got = [(e.path, e.kind, e.uname, e.gname, e.mode, e.sample_target) for e in pl.entries]
        self.assertEqual(got, [
            ("/usr/local/bin/a", "file", "root", "wheel", 0, None),
            ("/usr/local/libexec/b", "file", "operator", "wheel", 0o700, None),
            ("/usr/local/etc/c", "file", "root", "staff", 0o640, None),
            ("/usr/local/share/d", "dir", "root", "wheel", 0o755, None),
            ("/usr/local/etc/x.conf.sample", "file", "root", "wheel", 0, "/usr/local/etc/x.conf"),
            ("/usr/local/etc/y.sample", "file", "root", "wheel", 0, "/usr/local/etc/y.conf"),
            ("/var/abs", "file", "root", "wheel", 0, None),
        ])
        post, pre = P.sample_scripts(pl)
        self.assertEqual(len(post), 2)
        self.assertIn('pkg.copy("/usr/local/etc/x.conf.sample", "/usr/local/etc/x.conf")', post[0])
        self.assertIn('os.remove("/usr/local/etc/y.conf")', pre[1])

    def test_refuses_what_pkg_refuses(self):
        for text, msg in [("@exec true\n", "unknown keyword exec"), ("a\na\n", "duplicate file listing"),
                          ("@mode u+x\n", "only octal"), ("@sample etc/x.conf\n", "must end in .sample"),
                          ("@(root,wheel bin/a\n", "Malformed keyword")]:
            with self.subTest(text=text), self.assertRaises(P.PlistError) as cm:
                P.parse(text)
            self.assertIn(msg, str(cm.exception))


class Create(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.stage = os.path.join(self.dir, "stage")
        p = self.stage + "/usr/local"
        os.makedirs(p + "/bin")
        os.makedirs(p + "/etc")
        os.makedirs(p + "/share/demo")
        with open(p + "/bin/demo", "wb") as f:
            f.write(elfbuild.build(needed=("libthr.so.3", "libc.so.7", "libdemo.so.1", "/abs/libx.so")))
        os.chmod(p + "/bin/demo", 0o555)
        with open(p + "/etc/demo.conf.sample", "w") as f:
            f.write("x=1\n")
        os.symlink("/usr/local/bin/demo", p + "/bin/demo-link")
        self.plist = os.path.join(self.dir, "plist")
        with open(self.plist, "w") as f:
            f.write("bin/demo-link\nbin/demo\n@sample etc/demo.conf.sample\n@dir share/demo\n")

    def test_writes_the_archive_the_way_pkg_create_does(self):
        out = F.create(self.stage, self.plist, META, os.path.join(self.dir, "out"), timestamp=1700000000)
        self.assertTrue(out.endswith("/demo-1.2.pkg"))
        with open(out, "rb") as f:
            raw = lzma.decompress(f.read())
        tar = tarfile.open(fileobj=io.BytesIO(raw))
        names = [m.name for m in tar.getmembers()]
        self.assertEqual(names, ["+COMPACT_MANIFEST", "+MANIFEST", "/usr/local/bin/demo", "/usr/local/bin/demo-link",
                                 "/usr/local/etc/demo.conf.sample", "/usr/local/share/demo"])
        m0, m1, binary, link = tar.getmembers()[:4]
        self.assertEqual((m0.mode, m0.mtime, m0.uid, m0.uname, m0.gname), (0o644, 0, 0, "root", "wheel"))
        self.assertEqual((binary.mode, binary.mtime, binary.uid, binary.uname), (0o555, 1700000000, 65534, "root"))
        self.assertEqual((link.type, link.linkname), (tarfile.SYMTYPE, "/usr/local/bin/demo"))
        full = json.loads(tar.extractfile("+MANIFEST").read())
        compact_text = tar.extractfile("+COMPACT_MANIFEST").read().decode()
        self.assertNotIn(" ", compact_text.split('"desc"')[0])  # compact: no spaces between tokens
        compact = json.loads(compact_text)
        self.assertEqual(list(full)[:9], ["name", "origin", "version", "comment", "maintainer", "www", "abi", "arch",
                                          "prefix"])
        self.assertEqual(full["arch"], "freebsd:14:x86:64")
        self.assertEqual(full["desc"], "caf%c3%a9 100%25")
        self.assertEqual(full["shlibs_required"], ["libc.so.7", "libdemo.so.1", "libthr.so.3"])
        self.assertEqual({k: v for k, v in full.items() if k not in ("files", "directories", "lua_scripts")}, compact)
        st = os.lstat(self.stage + "/usr/local/bin/demo")
        self.assertEqual(full["flatsize"], st.st_size + len("/usr/local/bin/demo") + len("x=1\n"))
        f = full["files"]["/usr/local/bin/demo"]
        self.assertEqual((f["perm"], f["uname"], f["gname"], f["mtime"]), ("0555", "root", "wheel", 1700000000))
        self.assertEqual(f["sum"], F.file_sum(self.stage + "/usr/local/bin/demo"))
        self.assertEqual(full["files"]["/usr/local/bin/demo-link"]["symlink_target"], "/usr/local/bin/demo")
        self.assertEqual(full["directories"], {"/usr/local/share/demo": {"uname": "root", "gname": "wheel",
                                                                         "perm": "0755"}})
        self.assertEqual(len(full["lua_scripts"]["post-install"]), 1)
        self.assertEqual(len(full["lua_scripts"]["pre-deinstall"]), 1)

    def test_the_package_is_reproducible(self):
        a = F.create(self.stage, self.plist, META, os.path.join(self.dir, "a"), timestamp=1)
        b = F.create(self.stage, self.plist, META, os.path.join(self.dir, "b"), timestamp=1)
        with open(a, "rb") as fa, open(b, "rb") as fb:
            self.assertEqual(fa.read(), fb.read())

    def test_refuses_missing_files_directories_and_foreign_binaries(self):
        with open(self.plist, "a") as f:
            f.write("bin/missing\n")
        with self.assertRaises(F.PkgError) as cm:
            F.create(self.stage, self.plist, META, self.dir)
        self.assertIn("file '" + self.stage + "/usr/local/bin/missing' is missing", str(cm.exception))
        with open(self.plist, "w") as f:
            f.write("share/demo\n")
        with self.assertRaises(F.PkgError) as cm:
            F.create(self.stage, self.plist, META, self.dir)
        self.assertIn("is not a regular file or symlink", str(cm.exception))
        with open(self.stage + "/usr/local/bin/demo", "wb") as fh:
            fh.write(elfbuild.build(osabi=3, osversion=None, interp="/lib64/ld-linux-x86-64.so.2"))
        with open(self.plist, "w") as f:
            f.write("bin/demo\n")
        with self.assertRaises(F.PkgError) as cm:
            F.create(self.stage, self.plist, META, self.dir)
        self.assertIn("is not a FreeBSD binary", str(cm.exception))
        out = F.create(self.stage, self.plist, META, self.dir, allow_foreign_elf=True)
        self.assertTrue(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
