#!/usr/bin/env python3
"""Starts the real QEMU with golden .args files, to check that QEMU 7.2 accepts what they encode.

Not part of 'meson test': it needs root (tap devices, loop devices, /run/vmunit/test), QEMU and
swtpm, and it creates scratch images. Run it after regenerating golden files, before committing:

    sudo tests/unit/qemu-check-golden.py tests/data/argv/*.args

For each file it creates the images, block devices, sockets and tap fds the command line refers to
(disk images live under /var/lib/vmunit-images, see tests/data/argv/README.md), starts QEMU (TCG in
place of KVM where /dev/kvm is not usable), waits for the QMP socket, and quits through QMP. A case
passes when QEMU gets as far as answering QMP, i.e. every option and device was accepted. QEMU's
warnings are printed, too: a golden file that makes QEMU warn deserves a second look.
"""
import fcntl
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

IMAGES = "/var/lib/vmunit-images"
RUNTIME = "/run/vmunit/test"
STATE = "/var/lib/vmunit/test"
QMP = RUNTIME + "/vmunit-qmp.sock"
TAP_FD_BASE = 1729


def unescape(line):
    if line == "\\(empty)":
        return ""
    out, i = [], 0
    while i < len(line):
        c = line[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = line[i + 1]
        if n == "\\":
            out.append("\\")
            i += 2
        elif n == "n":
            out.append("\n")
            i += 2
        elif n == "x":
            out.append(chr(int(line[i + 2:i + 4], 16)))
            i += 4
        else:
            raise ValueError("bad escape in %r" % line)
    return "".join(out)


def parse_args(path):
    env, argv = {}, []
    for raw in open(path).read().splitlines():
        s = unescape(raw)
        if not argv and not s.startswith("/"):
            k, v = s.split("=", 1)
            env[k] = v
        else:
            argv.append(s)
    return env, argv


def keyval(s):
    """QEMU's QemuOpts splitting: ',,' is a literal comma."""
    items, cur, i = [], "", 0
    while i < len(s):
        if s[i] == ",":
            if s[i + 1:i + 2] == ",":
                cur += ","
                i += 2
                continue
            items.append(cur)
            cur = ""
        else:
            cur += s[i]
        i += 1
    items.append(cur)
    return items


def make_image(path, fmt):
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if fmt == "qcow2":
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", path, "64M"], check=True)
    else:
        with open(path, "wb") as f:
            f.truncate(1474560 if path.endswith(".flp") else 64 << 20)


class Fixture:
    def __init__(self):
        self.listeners = []
        self.loops = []
        self.procs = []
        self.tap_fds = []
        self.links = []
        self.tmp = tempfile.mkdtemp(prefix="vmunit-qemu-check-")

    def close(self):
        for s in self.listeners:
            s.close()
        for p in self.procs:
            p.kill()
            p.wait()
        for fd in self.tap_fds:
            os.close(fd)
        for link in self.links:
            os.unlink(link)
        for lo in self.loops:
            subprocess.run(["losetup", "-d", lo], check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def block_device(self, path):
        if os.path.exists(path):
            return
        backing = os.path.join(self.tmp, "blk-" + os.path.basename(path))
        make_image(backing, "raw")
        lo = subprocess.run(["losetup", "-f", "--show", backing], check=True, capture_output=True,
                            text=True).stdout.strip()
        self.loops.append(lo)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(lo, path)
        self.links.append(path)

    def tty(self, path):
        master, slave = os.openpty()
        self.tap_fds += [master, slave]
        os.symlink(os.ttyname(slave), path)
        self.links.append(path)

    def unix_listener(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(4)
        self.listeners.append(s)

    def tcp_listener(self, host, port):
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        s.listen(4)
        self.listeners.append(s)

    def swtpm(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        state = os.path.join(self.tmp, "tpm-" + os.path.basename(path))
        os.makedirs(state, exist_ok=True)
        tpm2 = []
        p = subprocess.Popen(["swtpm", "socket", "--tpmstate", "dir=" + state, "--tpm2",
                              "--ctrl", "type=unixio,path=" + path, "--flags", "not-need-init"] + tpm2,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        for _ in range(100):
            if os.path.exists(path):
                return
            time.sleep(0.05)

    def tap(self, index):
        fd = os.open("/dev/net/tun", os.O_RDWR)
        ifr = struct.pack("16sH", ("vmunitchk%d" % index).encode(), 0x0002 | 0x1000)  # IFF_TAP|IFF_NO_PI
        fcntl.ioctl(fd, 0x400454CA, ifr)  # TUNSETIFF
        target = TAP_FD_BASE + index
        os.dup2(fd, target, inheritable=True)
        os.close(fd)
        self.tap_fds.append(target)
        return target


def prepare(argv, fx):
    """Creates what the command line refers to; returns the fds QEMU must inherit."""
    for d in (RUNTIME, STATE, STATE + "/nvram", STATE + "/ram"):
        os.makedirs(d, exist_ok=True)
    if os.path.exists(QMP):
        os.unlink(QMP)
    pass_fds = []
    formats = {}
    for i, a in enumerate(argv[:-1]):
        opt, val = a, argv[i + 1]
        if opt == "-blockdev":
            o = json.loads(val)
            if o.get("driver") in ("qcow2", "raw") and isinstance(o.get("file"), str):
                formats[o["file"]] = o["driver"]
    for i, a in enumerate(argv[:-1]):
        opt, val = a, argv[i + 1]
        if opt == "-blockdev":
            o = json.loads(val)
            fn = o.get("filename")
            if not fn:
                continue
            if o.get("node-name") == "vmunit-pflash1-storage" and not os.path.exists(fn):
                # NVRAM: a copy of the VARS template that matches the code image's size
                code = next(json.loads(argv[k + 1])["filename"] for k in range(len(argv) - 1)
                            if argv[k] == "-blockdev" and '"vmunit-pflash0-storage"' in argv[k + 1])
                os.makedirs(os.path.dirname(fn), exist_ok=True)
                shutil.copy("/usr/share/OVMF/OVMF_VARS_4M.fd" if "_4M" in code else "/usr/share/OVMF/OVMF_VARS.fd", fn)
                fx.links.append(fn)
            elif o["driver"] == "host_device":
                fx.block_device(fn)
            elif fn.startswith(IMAGES) or fn.startswith(STATE):
                make_image(fn, formats.get(o.get("node-name"), "raw"))
        elif opt == "-netdev":
            o = json.loads(val)
            if o.get("type") == "tap" and "fd" in o:
                pass_fds.append(fx.tap(int(o["fd"]) - TAP_FD_BASE))
            if o.get("type") == "socket" and "connect" in o:
                h, p = o["connect"].rsplit(":", 1)
                fx.tcp_listener(h or "127.0.0.1", p)
        elif opt == "-chardev":
            items = keyval(val)
            kv = dict(x.split("=", 1) for x in items[1:] if "=" in x)
            if items[0] == "socket" and kv.get("server") == "on" and "path" in kv:
                os.makedirs(os.path.dirname(kv["path"]), exist_ok=True)
                if os.path.exists(kv["path"]):
                    os.unlink(kv["path"])
            if kv.get("id") == "chrtpm":
                fx.swtpm(kv["path"])
            elif items[0] == "socket" and kv.get("server") != "on" and "reconnect" not in kv:
                if "path" in kv:
                    fx.unix_listener(kv["path"])
                elif "host" in kv:
                    fx.tcp_listener(kv["host"], kv["port"])
            elif items[0] in ("file",) and "path" in kv:
                os.makedirs(os.path.dirname(kv["path"]), exist_ok=True)
            elif items[0] == "pipe" and not os.path.exists(kv["path"]):
                os.makedirs(os.path.dirname(kv["path"]), exist_ok=True)
                os.mkfifo(kv["path"])
                fx.links.append(kv["path"])
            elif items[0] == "serial" and not os.path.exists(kv["path"]):
                fx.tty(kv["path"])
            if "logfile" in kv:
                os.makedirs(os.path.dirname(kv["logfile"]), exist_ok=True)
        elif opt in ("-kernel", "-initrd", "-bios", "-acpitable") or (opt == "-fw_cfg" and "file=" in val):
            path = val if opt in ("-kernel", "-initrd", "-bios") else \
                dict(x.split("=", 1) for x in keyval(val) if "=" in x)["file"]
            if not os.path.exists(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                src = "/usr/share/seabios/bios.bin" if opt == "-bios" else None
                if src:
                    shutil.copy(src, path)
                elif opt == "-kernel":
                    fake_bzimage(path)
                else:
                    with open(path, "wb") as f:
                        f.write(b"\0" * 4096)
    return pass_fds


def fake_bzimage(path):
    """Just enough of a Linux boot header for QEMU's loader; the guest never runs it (-S)."""
    img = bytearray(16 * 512)
    img[0x1f1] = 4                                  # setup_sects
    img[0x202:0x206] = b"HdrS"
    img[0x206:0x208] = struct.pack("<H", 0x020f)    # boot protocol 2.15
    img[0x211] = 0x01                               # LOADED_HIGH
    img[0x22c:0x230] = struct.pack("<I", 0x7fffffff)  # initrd_addr_max
    img[0x238:0x23c] = struct.pack("<I", 2048)      # cmdline_size
    with open(path, "wb") as f:
        f.write(img)


def kvm_usable():
    if os.environ.get("VMUNIT_CHECK_TCG") == "1":
        return False
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return True
    except OSError:
        return False


def qmp_quit():
    """True when QEMU answered QMP, which it only does once every device is realized."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(QMP)
    f = s.makefile("rw")
    answered = "QMP" in f.readline()
    for cmd in ({"execute": "qmp_capabilities"}, {"execute": "query-status"}, {"execute": "quit"}):
        f.write(json.dumps(cmd) + "\n")
        f.flush()
        reply = f.readline()
        if cmd["execute"] == "query-status":
            answered = answered and '"return"' in reply
    s.close()
    return answered


def check(path):
    env, argv = parse_args(path)
    if not kvm_usable():
        argv = ["tcg" if (a == "kvm" and argv[i - 1] == "-accel") else a for i, a in enumerate(argv)]
    if not os.path.exists("/dev/vhost-net"):
        # vhost=true is only checked for syntax here: without the device QEMU cannot start it
        argv = [a.replace('"vhost":true,', '') if argv[i - 1] == "-netdev" else a for i, a in enumerate(argv)]
    fx = Fixture()
    try:
        pass_fds = prepare(argv, fx)
        p = subprocess.Popen(argv, env=env, pass_fds=pass_fds, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        while time.time() < deadline and p.poll() is None and not os.path.exists(QMP):
            time.sleep(0.05)
        ok = False
        if p.poll() is None and os.path.exists(QMP):
            try:
                ok = qmp_quit()
            except OSError:
                ok = False
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        err = "\n".join(l for l in err.splitlines() if "terminating on signal" not in l)
        return ok, err.strip()
    finally:
        fx.close()


def main():
    failed = 0
    for path in sys.argv[1:]:
        ok, err = check(path)
        name = os.path.basename(path)
        print("%-4s %s" % ("ok" if ok else "FAIL", name))
        if err:
            print("\n".join("     " + l for l in err.splitlines()))
        failed += not ok
    print("%d passed, %d failed" % (len(sys.argv) - 1 - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
