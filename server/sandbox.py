"""Take the network away from a query process: a seccomp filter that refuses socket() for every
address family except AF_UNIX, and io_uring_setup (whose rings can open sockets without socket()).

The filter is the endpoint's second, independent guard on SERVICE (the first is that the engine
only runs the canonical text that was checked, see :mod:`kzkg_server.sparql_scan`): a query child
that is not meant to federate cannot connect anywhere, whatever the query engine makes of its
text. It is a classic-BPF program of ten instructions, assembled here and installed with
``prctl(PR_SET_NO_NEW_PRIVS)`` + ``prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)`` through ctypes (no
library: libseccomp's Python binding is not on PyPI). It checks the audit architecture first, so a
32-bit or x32 system call — where ``socket`` has another number, or goes through ``socketcall`` —
is refused instead of slipping past a check made for another table.

Only Linux on x86_64 and aarch64 is supported; anywhere else :func:`seal` raises SandboxError, and
the executor refuses to start rather than run queries unsealed (unless configured off).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import sys

# linux/audit.h and the system call tables (socket, io_uring_setup) of the supported architectures.
_ARCHITECTURES = {
    "x86_64": (0xC000003E, 41, 425),
    "aarch64": (0xC00000B7, 198, 425),
}
_X32_SYSCALL_BIT = 0x40000000
_AF_UNIX = 1

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000

# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6] (little-endian).
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0 = 0, 4, 16
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K


class SandboxError(OSError):
    """The filter could not be installed (unsupported platform, or the kernel refused it)."""


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def program(machine: str) -> list[tuple[int, int, int, int]]:
    """The filter for an architecture, as (code, jt, jf, k); jumps count instructions skipped."""
    arch, nr_socket, nr_io_uring_setup = _ARCHITECTURES[machine]
    deny = _SECCOMP_RET_ERRNO | errno.EACCES
    return [
        (_LD_W_ABS, 0, 0, _OFFSET_ARCH),  # 0
        (_JEQ_K, 0, 7, arch),  # 1: another architecture's table -> 9 (deny)
        (_LD_W_ABS, 0, 0, _OFFSET_NR),  # 2
        (_JGE_K, 5, 0, _X32_SYSCALL_BIT),  # 3: x32 system calls -> 9 (deny)
        (_JEQ_K, 4, 0, nr_io_uring_setup),  # 4: -> 9 (deny)
        (_JEQ_K, 0, 2, nr_socket),  # 5: not socket() -> 8 (allow)
        (_LD_W_ABS, 0, 0, _OFFSET_ARG0),  # 6: the address family (low 32 bits)
        (_JEQ_K, 0, 1, _AF_UNIX),  # 7: AF_UNIX -> 8 (allow), else 9 (deny)
        (_RET_K, 0, 0, _SECCOMP_RET_ALLOW),  # 8
        (_RET_K, 0, 0, deny),  # 9
    ]


def seal() -> None:
    """Install the filter on the calling thread and every thread it starts afterwards (the executor
    calls it before it starts any); irreversible for the process."""
    machine = platform.machine()
    if not sys.platform.startswith("linux") or machine not in _ARCHITECTURES or sys.byteorder != "little":
        raise SandboxError(
            f"query processes can only be sealed off the network on Linux x86_64 or aarch64, "
            f"not {sys.platform} {machine}"
        )
    instructions = program(machine)
    array = (_SockFilter * len(instructions))(*(_SockFilter(*ins) for ins in instructions))
    fprog = _SockFprog(len(instructions), array)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SandboxError(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        raise SandboxError(
            f"prctl(PR_SET_SECCOMP) failed: {os.strerror(ctypes.get_errno())} "
            f"(a kernel without CONFIG_SECCOMP_FILTER, or a container that forbids it)"
        )


def packed(machine: str) -> bytes:
    """The program as the kernel reads it (struct sock_filter[]), for tests and inspection."""
    return b"".join(struct.pack("<HBBI", *ins) for ins in program(machine))
