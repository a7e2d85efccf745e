"""``build`` and ``keygen``: compile a policy into a bundle (``*.kdvb``), make a signing key."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from kdv_policy.cli.loading import add_interpretation_options, add_limit_option, limits_from, locate
from kdv_policy.cli.output import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, PROG, policy_error
from kdv_policy.errors import PolicyError
from kdv_policy.files import display_path

DEFAULT_OUTPUT = "policy.kdvb"


def add_build_command(sub: argparse._SubParsersAction, default_policy: str) -> None:
    """Register ``build``."""
    raw = argparse.RawDescriptionHelpFormatter
    build = sub.add_parser(
        "build", help="evaluate a policy once and write it as a bundle (*.kdvb) that loads fast",
        formatter_class=raw,
        description="Evaluate the policy (its rules and data) once and write everything answers and "
                    "explanations need into one versioned, checksummed file, optionally signed with an "
                    "Ed25519 key. `--rules BUNDLE` (and Policy.load) answer from it without evaluating. "
                    "The policy's test files run first; a failing test stops the build.\n\n"
                    "Exit status: 0 when written, 1 when the policy's tests fail, 2 when the policy, the "
                    "key or the output cannot be read or written.",
        epilog="examples:\n"
               f"  {PROG} build -o policy.kdvb\n"
               f"  {PROG} build my/rules --people people.toml -o policy.kdvb --sign ci-key.pem\n"
               f"  {PROG} query --rules policy.kdvb --verify-key ci-key.pub.pem may RR approve Strategie\n",
    )
    build.add_argument("dir", nargs="?", metavar="POLICY", help=f"policy directory ({default_policy})")
    build.add_argument("-o", "--output", metavar="FILE", default=DEFAULT_OUTPUT,
                       help=f"the bundle to write (default: {DEFAULT_OUTPUT})")
    build.add_argument("--sign", metavar="KEYFILE", help="sign with this Ed25519 private key (PEM)")
    build.add_argument("--people", metavar="FILE", help="people file: persons and the roles they hold")
    build.add_argument("--no-tests", action="store_true", help="do not run the policy's test files first")
    add_limit_option(build)
    add_interpretation_options(build)
    build.set_defaults(func=cmd_build)


def add_keygen_command(sub: argparse._SubParsersAction) -> None:
    """Register ``keygen``."""
    keygen = sub.add_parser(
        "keygen", help="make an Ed25519 key pair for signing bundles",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write a new Ed25519 private key (PEM, mode 0600) to KEYFILE and its public key beside "
                    "it (NAME.pub.pem). Keep the private key in CI's secrets; give replicas the public "
                    "key (`--verify-key`). The same as `openssl genpkey -algorithm ed25519 -out KEYFILE` "
                    "and `openssl pkey -in KEYFILE -pubout`. Never overwrites a file.\n\n"
                    "Exit status: 0 when written, 2 when a file exists or cannot be written.",
        epilog=f"examples:\n  {PROG} keygen ci-key.pem\n",
    )
    keygen.add_argument("keyfile", metavar="KEYFILE", help="the private key to write")
    keygen.set_defaults(func=cmd_keygen)


def cmd_build(args: argparse.Namespace) -> int:
    from kdv_policy.cli.loading import with_interpretations
    from kdv_policy.policy import bundle
    from kdv_policy.policy.api import Policy
    from kdv_policy.policy.store import PolicyTestsFailed, run_policy_tests

    started = time.perf_counter()
    try:
        location = locate(args.dir)
        limits = limits_from(args.limit)
        if bundle.is_bundle(location.path):
            raise bundle.BundleError(f"`{location.display}` is a bundle already; "
                                     "build from a policy directory")
        policy = with_interpretations(Policy.load(location.path, people=args.people, limits=limits), args)
        if not args.no_tests:
            run_policy_tests(policy, Path(args.people) if args.people else None, limits)
        data = bundle.build(policy, sign=args.sign)
        bundle.write(data, Path(args.output))
    except PolicyTestsFailed as err:
        print(err.render(), file=sys.stderr)
        return EXIT_FAILED
    except PolicyError as err:
        policy_error(err)
        return EXIT_BAD_INPUT
    rows = sum(len(r) for r in policy.model.values())
    signed = ", signed" if args.sign else ""
    print(f"built {display_path(Path(args.output))} from {location.describe(policy.version)}: "
          f"{len(policy.model)} relations, {rows:,} rows, {len(data):,} bytes{signed}, "
          f"in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


def cmd_keygen(args: argparse.Namespace) -> int:
    from kdv_policy.policy.bundle import signing

    try:
        public = signing.keygen(Path(args.keyfile))
    except PolicyError as err:
        policy_error(err)
        return EXIT_BAD_INPUT
    print(f"wrote {display_path(Path(args.keyfile))} (private: keep it secret) and "
          f"{display_path(public)} (public: for --verify-key)")
    return EXIT_OK
