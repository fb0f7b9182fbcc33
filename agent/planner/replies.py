"""What the planner says when it does not call tools: a question back, or an honest 'no'."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from agent.planner import ContainerBrief

_MAX_LISTED = 8


def join(items: Sequence[str], last: str) -> str:
    """['a', 'b', 'c'] -> 'a, b or c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def verb_text(verb: str) -> str:
    phrases = {
        "logs": "show the logs of",
        "stats": "show stats for",
        "exec": "run it in",
        "check_update": "check for a newer image for",
        "rollback": "roll back",
        "down": "take down",
        "teardown": "tear down",
    }
    return phrases.get(verb, verb)


def which_host(name: str, hosts: Sequence[str]) -> str:
    """The same container name on several hosts: ask which one, with the phrase that says it."""
    return (
        f"There is a container called {name} on {join(list(hosts), 'and')}: which host? "
        f'For example: "... {name} on {hosts[-1]}".'
    )


def unknown_host(word: str, hosts: Sequence[str]) -> str:
    if not hosts:
        return f"I don't know a Docker host called {word!r}."
    return (
        f"I don't know a Docker host called {word!r}. Configured hosts: "
        f"{join(list(hosts), 'and')}. Which one did you mean?"
    )


def needs_host(hosts: Sequence[str]) -> str:
    return (
        f"Which host should that change happen on: {join(list(hosts), 'or')}? "
        f'Add, for example, "on {hosts[-1]}" to the request.'
    )


def unsupported(what: str, containers: Sequence[ContainerBrief]) -> str:
    """Understood, but no tool does it: say so plainly, and what can be done instead."""
    return f"I can't help with {what}. {_examples(containers)}"


def condition_change(condition: str) -> str:
    """'remove the containers that exited with code 1': which ones is not known before looking."""
    shown = condition.replace("_", " ")
    return (
        f"I can't tell which containers are {shown} without looking first, and I won't guess "
        f'for a change. Ask "list {shown} containers", then name the ones to act on.'
    )


def which_one(names: Sequence[str]) -> str:
    return f"Which one: {join(names, 'or')}?"


def which_container(verb: str, containers: Sequence[ContainerBrief]) -> str:
    running = [c.name for c in containers if c.state == "running"][:_MAX_LISTED]
    listing = f" Running now: {', '.join(running)}." if running else ""
    return f"Which container should I {verb_text(verb)}?{listing}"


def which_recent(verb: str, containers: Sequence[ContainerBrief]) -> str:
    """'the container I just started': the list does not say which one was started last."""
    names = [c.name for c in containers][:_MAX_LISTED]
    listing = f": {join(names, 'or')}" if names else ""
    return (
        f"I can't tell which container you started last. Which one should I "
        f"{verb_text(verb)}{listing}?"
    )


def not_found(phrase: str, containers: Sequence[ContainerBrief]) -> str:
    names = [c.name for c in containers]
    if not names:
        return f"I can't find a container matching {phrase!r}: there are no containers."
    close = difflib.get_close_matches(phrase.lower(), names, n=3, cutoff=0.5)
    if close:
        return f"I can't find a container matching {phrase!r}. Did you mean {join(close, 'or')}?"
    return (
        f"I can't find a container matching {phrase!r}. Which one did you mean: "
        f"{join(names[:_MAX_LISTED], 'or')}?"
    )


def declined(verb: str, containers: Sequence[ContainerBrief]) -> str:
    """'don't restart web': nothing to do, and say so rather than guess what was meant."""
    return (
        f"Understood: I won't {verb_text(verb)} anything. If you meant something else, "
        + _examples(containers)
    )


def not_understood(notes: Sequence[str], containers: Sequence[ContainerBrief]) -> str:
    """Say plainly that the request was not understood, and show phrasings that work here."""
    opening = f"I can't help with {notes[0]} yet." if notes else "Sorry, I didn't understand that."
    return f"{opening} {_examples(containers)}"


def _examples(containers: Sequence[ContainerBrief]) -> str:
    example = next((c.name for c in containers if c.state == "running"), "web")
    return (
        f'I can handle requests like: "what\'s running?", "logs {example} 50", '
        f'"restart {example}", "deploy nginx on port 8080", "remove all exited containers".'
    )
