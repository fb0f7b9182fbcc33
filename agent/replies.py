"""Plain-language replies from tool outcomes, for the offline planner (a hosted model writes
its own). Text that came from containers goes in code blocks, never as live markdown."""

from __future__ import annotations

from typing import Any

FENCE = "```"


def _code(text: str) -> str:
    return f"{FENCE}text\n{text.replace(FENCE, 'ˋˋˋ')}\n{FENCE}"


def _size(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(value)


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]  # fmt: skip
    return _code("\n".join(lines))


def _read_reply(tool: str, args: dict[str, Any], result: Any) -> str:
    if tool == "list_containers":
        if not result:
            scope = args.get("status", "running")
            return f"No {'' if scope == 'all' else scope + ' '}containers match."
        hosts = {c.get("host") for c in result}
        if len(hosts) > 1:
            rows = [[c["host"], c["name"], c["image"], c["status"], ", ".join(c["ports"])]
                    for c in result]  # fmt: skip
            header = ["HOST", "NAME", "IMAGE", "STATUS", "PORTS"]
        else:
            rows = [[c["name"], c["image"], c["status"], ", ".join(c["ports"])] for c in result]
            header = ["NAME", "IMAGE", "STATUS", "PORTS"]
        return f"{len(result)} container(s):\n" + _table(rows, header)
    if tool == "container_logs":
        if not result["text"]:
            return f"No log lines from {result['container']} match."
        note = " (truncated)" if result["truncated"] else ""
        return f"Last {result['lines']} log line(s) of {result['container']}{note}:\n" + _code(
            result["text"]
        )
    if tool == "container_stats" and isinstance(result, dict) and "containers" in result:
        rows = [[s["container"], f"{s['cpu_percent']}%", _size(s["memory_usage"]),
                 f"{s['memory_percent']}%"] for s in result["containers"]]  # fmt: skip
        if not rows:
            return "No running containers."
        return f"{len(rows)} running container(s), by {result.get('sort_by', 'cpu')}:\n" + _table(
            rows, ["NAME", "CPU", "MEMORY", "MEM %"]
        )
    if tool == "diagnose_container":
        text = f"{result['container']} ({result['state']}): likely cause: {result['likely_cause']}"
        evidence = result.get("evidence") or []
        if evidence:
            text += "\nEvidence:\n" + _code("\n".join(evidence))
        errors = [line for line in result.get("error_lines") or [] if line not in evidence]
        if errors:  # what the fix tells the reader to look at
            text += "\nError lines from its log:\n" + _code("\n".join(errors))
        if result.get("fix"):
            text += f"\nFix: {result['fix']}"
        return text
    if tool == "find_problems":
        if not result:
            return "No problems found: nothing is unhealthy, restarting or exited with an error."
        return "\n".join(
            f"- {p['container']}: {p['problem']}; likely cause: {p['likely_cause']}"
            + (f" Fix: {p['fix']}" if p.get("fix") else "")
            for p in result
        )
    if tool == "disk_usage":
        return (
            f"Docker uses {_size(result['total_size'])}: images {_size(result['images_size'])} "
            f"({_size(result['images_reclaimable'])} reclaimable), containers "
            f"{_size(result['containers_size'])}, volumes {_size(result['volumes_size'])}, build "
            f"cache {_size(result['build_cache_size'])}."
        )
    if tool == "container_stats":
        return (
            f"{result['container']}: CPU {result['cpu_percent']}%, memory "
            f"{_size(result['memory_usage'])} / {_size(result['memory_limit'])} "
            f"({result['memory_percent']}%), net rx {_size(result['net_rx'])} tx "
            f"{_size(result['net_tx'])}, {result['pids']} processes."
        )
    if tool == "inspect_container":
        facts = [
            f"state {result['state']}",
            f"image {result['image']}",
            f"exit code {result['exit_code']}",
            f"restarts {result['restart_count']}",
        ]
        if result.get("health"):
            facts.append(f"health {result['health']}")
        if result.get("ports"):
            facts.append("ports " + ", ".join(result["ports"]))
        mounts = [f"{m['source']}:{m['destination']}" for m in result.get("mounts", [])]
        if mounts:
            facts.append("mounts " + ", ".join(mounts))
        return f"{result['name']} ({result['id']}): " + "; ".join(facts) + "."
    if tool == "list_images":
        rows = [[", ".join(i["tags"]) or "<none>", i["id"], _size(i["size"])] for i in result]
        return f"{len(result)} image(s):\n" + _table(rows, ["TAGS", "ID", "SIZE"])
    if tool == "list_networks":
        rows = [[n["name"], n["driver"], n["scope"]] for n in result]
        return f"{len(result)} network(s):\n" + _table(rows, ["NAME", "DRIVER", "SCOPE"])
    if tool == "list_volumes":
        if not result:
            return "No volumes."
        rows = [[v["name"], v["driver"]] for v in result]
        return f"{len(result)} volume(s):\n" + _table(rows, ["NAME", "DRIVER"])
    if tool == "system_info":
        return (
            f"Docker {result['server_version']} (API {result['api_version']}) on {result['os']}, "
            f"{result['cpus']} CPUs, {_size(result['memory'])} memory; {result['running']} "
            f"running / {result['containers']} containers, {result['images']} images; "
            f"swarm {result['swarm']}."
        )
    if tool == "list_services":
        if not result:
            return "No swarm services."
        rows = [[v["name"], v["image"], v["mode"],
                 f"{v['running']}/{v['replicas'] if v['replicas'] is not None else '-'}"]
                for v in result]  # fmt: skip
        return f"{len(result)} service(s):\n" + _table(rows, ["NAME", "IMAGE", "MODE", "RUNNING"])
    if tool in ("service_logs", "compose_logs"):
        what = result.get("service") or result.get("project")
        if not result["text"]:
            return f"No log lines from {what}."
        return f"Last {result['lines']} log line(s) of {what}:\n" + _code(result["text"])
    if tool == "compose_ps" and isinstance(result, list):
        rows = [[p["name"], p["state"], f"{p['running']}/{p['containers']}"]
                for p in result]  # fmt: skip
        if not rows:
            return "No compose projects found in the configured directories."
        return "Compose projects:\n" + _table(rows, ["PROJECT", "STATE", "RUNNING"])
    if tool == "compose_ps" and isinstance(result, dict):
        rows = [[c["service"], c["name"], c["status"], ", ".join(c["ports"])]
                for c in result.get("containers", [])]  # fmt: skip
        if not rows:
            return f"Project {result.get('project')} has no containers (not up)."
        return f"Project {result.get('project')}:\n" + _table(
            rows, ["SERVICE", "CONTAINER", "STATUS", "PORTS"]
        )
    if isinstance(result, dict) and isinstance(result.get("message"), str):
        return str(result["message"]) + "."
    return _code(str(result))


def reply_for(outcome: dict[str, Any]) -> str:
    """One outcome (a tool message artifact) as a sentence or block."""
    status = outcome.get("status")
    tool = str(outcome.get("tool", ""))
    message = str(outcome.get("message", ""))
    if status == "executed":
        result = outcome.get("result")
        if isinstance(result, dict) and "command" in result and "ok" in result:
            text = f"Done: {result['message']} (`{result['command']}`)."
            if result.get("output") is not None:
                text += "\n" + _code(str(result["output"]))
            return text
        return _read_reply(tool, outcome.get("args") or {}, result)
    if status == "pending_approval":
        approval = outcome.get("approval") or {}
        return (
            f"Waiting for approval: {approval.get('summary', message)} "
            f"(`{approval.get('command', '')}`; approval {approval.get('id', '?')})."
        )
    if status == "planned":
        return f"Would do (dry run): {message}."
    if status == "denied":
        return f"Refused: {message}."
    if status == "rejected":
        return f"Not done: {message}."
    return f"{tool} failed: {message}"


def summarise(outcomes: list[dict[str, Any]]) -> str:
    return "\n\n".join(reply_for(o) for o in outcomes) or "Nothing to do."
