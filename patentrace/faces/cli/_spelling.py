"""Misspelt subcommands and flags: refused before parsing, with the usage line and the nearest name (difflib).

argparse alone would report a misspelt required flag as missing (``the following arguments
are required: --prize``) and never mention the typo, and an unknown optional flag as
``unrecognized arguments`` without the usage or a suggestion.

Examples
--------
>>> _looks_like_flag("--prise"), _looks_like_flag("-0.5"), _looks_like_flag("-inf")
(True, False, False)
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Sequence

from ._flags import COMMANDS, UsageError

__all__ = ["check_spelling", "unexpected_values"]


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return [flag for action in parser._actions for flag in action.option_strings]


def _looks_like_flag(token: str) -> bool:
    """A token argparse would read as a flag: a dash and a letter, not a number such as -0.5 or -inf."""
    if not re.match(r"-{1,2}[A-Za-z]", token):
        return False
    try:
        float(token)
    except ValueError:
        return True
    return False


def _unknown(token: str, known: list[str]) -> str | None:
    """The flag name of ``token`` if it is neither a flag of ``known`` nor an abbreviation of one."""
    name = token.split("=", 1)[0]
    if name in known or (name.startswith("--") and any(flag.startswith(name) for flag in known)):
        return None
    return name


def _misspelt(prog: str, parser: argparse.ArgumentParser, name: str, others: dict[str, list[str]]) -> UsageError:
    """The error for an unknown flag: the usage line, the nearest flag, or the subcommands that have it."""
    known = [flag for flag in _flags(parser) if flag.startswith("--")]
    close = difflib.get_close_matches(name.lstrip("-"), [flag[2:] for flag in known], n=1, cutoff=0.6)
    owners = [command for command, flags in others.items() if name in flags]
    if owners:  # a flag of other subcommands, not a misspelling
        hint = f"; it is a flag of {', '.join(owners)}"
    elif close:
        hint = f"; did you mean --{close[0]}?"
    else:
        hint = ""
    return UsageError(f"{parser.format_usage().rstrip()}\n{prog}: error: unrecognized flag {name}{hint} "
                      f"(see {prog} --help)")


def _action(token: str, parser: argparse.ArgumentParser) -> argparse.Action | None:
    """The flag's action that ``token`` names, exactly or as an abbreviation of one flag; None if ambiguous."""
    name = token.split("=", 1)[0]
    exact = [action for action in parser._actions if name in action.option_strings]
    if exact or not name.startswith("--"):
        return exact[0] if exact else None
    prefixed = [action for action in parser._actions
                if any(flag.startswith(name) for flag in action.option_strings if flag.startswith("--"))]
    return prefixed[0] if len(prefixed) == 1 else None


def _repeated(command: str, parser: argparse.ArgumentParser, tokens: Sequence[str]) -> UsageError | None:
    """A flag given twice that takes one occurrence: argparse would keep the last silently."""
    seen: set[str] = set()
    for token in tokens:
        action = _action(token, parser) if _looks_like_flag(token) else None
        if action is None or isinstance(action, argparse._AppendAction):
            continue
        if action.dest in seen:
            return UsageError(f"patentrace {command}: error: {action.option_strings[-1]} is given more than once; "
                              "give it once (a second value would silently replace the first)")
        seen.add(action.dest)
    return None


def check_spelling(parser: argparse.ArgumentParser, commands: dict[str, argparse.ArgumentParser],
                   argv: Sequence[str]) -> None:
    """Refuse an unknown subcommand or flag, or a flag given twice that argparse would override, before parsing.

    Parameters
    ----------
    parser : ArgumentParser
        The top-level parser.
    commands : dict
        Each subcommand's parser.
    argv : sequence of str
        The command line after the program name.

    Raises
    ------
    UsageError
        Naming the subcommand (``patentrace solve: error: ...``), with its usage line and
        the nearest flag (difflib), or the subcommands that do have the flag; or naming a
        flag given twice that is not a per-firm flag (argparse would keep the last value).

    Examples
    --------
    >>> from patentrace.faces.cli._flags import build_parser
    >>> parser, commands = build_parser()
    >>> try:
    ...     check_spelling(parser, commands, ["solve", "--stages", "2", "--prise", "1"])
    ... except UsageError as err:
    ...     print(str(err).splitlines()[-1])
    patentrace solve: error: unrecognized flag --prise; did you mean --prize? (see patentrace solve --help)
    """
    top = _flags(parser)
    if not argv:  # nothing asked: say what can be
        raise UsageError(f"{parser.format_usage().rstrip()}\npatentrace: error: give a subcommand: "
                         f"{', '.join(COMMANDS)} (see patentrace --help)")
    for position, token in enumerate(argv):
        if token == "--":
            return
        if _looks_like_flag(token):
            name = _unknown(token, top)
            if name is not None:
                raise _misspelt("patentrace", parser, name, {c: _flags(p) for c, p in commands.items()})
            continue
        if token not in commands:
            close = difflib.get_close_matches(token, list(commands), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(f"{parser.format_usage().rstrip()}\npatentrace: error: unknown subcommand {token!r}"
                             f"{hint} (subcommands: {', '.join(COMMANDS)})")
        sub = commands[token]
        others = {c: _flags(p) for c, p in commands.items() if c != token}
        rest = list(argv[position + 1:])
        rest = rest[: rest.index("--")] if "--" in rest else rest
        for item in rest:
            name = _unknown(item, _flags(sub)) if _looks_like_flag(item) else None
            if name is not None:
                raise _misspelt(f"patentrace {token}", sub, name, others)
        repeated = _repeated(token, sub, rest)
        if repeated is not None:
            raise repeated
        return


def unexpected_values(command: str, parser: argparse.ArgumentParser, extra: Sequence[str]) -> UsageError:
    """The error for values no flag takes (``--prize 1 2``): the subcommand's usage and the values.

    argparse alone says ``patentrace: error: unrecognized arguments: 2``, naming neither the
    subcommand nor what it expects.

    Examples
    --------
    >>> from patentrace.faces.cli._flags import build_parser
    >>> _, commands = build_parser()
    >>> print(str(unexpected_values("solve", commands["solve"], ["2"])).splitlines()[-1])
    patentrace solve: error: unexpected value '2': no flag takes it (too many values after a flag?)
    """
    values = ", ".join(repr(value) for value in extra)
    plural = "s" if len(extra) > 1 else ""
    return UsageError(f"{parser.format_usage().rstrip()}\npatentrace {command}: error: unexpected value{plural} "
                      f"{values}: no flag takes {'them' if plural else 'it'} (too many values after a flag?)")
