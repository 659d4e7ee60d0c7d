"""Plain-words explanations of an attribution, in Simplified Chinese (default) and English. Pure.

Three pieces, each a pure function of an engine result (no Django):

- ``verdict(result, lang, waybills)``: the most likely reading, said first. When "noise only" is the
  most probable reading it says so, then names the nodes the evidence points at (never a bare
  "rank 1" with no evidence).
- ``explain_node(result, ledger, code, lang, waybills)``: one short summary per node (why it stands
  where it does, the surfaced waybill numbers, how to read a small probability) and the details
  for an expandable section (when and how its decoys surfaced, its silent decoys, the nodes cleared
  by time, why the runner-up is less likely, leak-channel hints, the noise reading).
- ``report(result, ledger, lang, limit, waybills)``: the ``attribute --json`` document.

``waybills`` maps decoy id → waybill number. Texts cite waybill numbers, never internal decoy ids;
without the map (``None``: a reader who may not see decoy identities) they give counts only.

The English sentences are the message ids; the Chinese comes from this app's gettext catalogue
(``locale/zh_Hans/LC_MESSAGES/django.po``, context ``attribution``), read with the standard
library so the module stays free of Django.
"""

from __future__ import annotations

import gettext
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from canary.attribution.engine import Attribution, NodeScore
from canary.attribution.ledger import Ledger

TIME_ZONE = ZoneInfo("Asia/Shanghai")
LANGUAGES = ("zh-hans", "en")
SHOWN_WAYBILLS = 5  # list at most this many waybill numbers (or nodes) in a sentence
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
CONTEXT = "attribution"


def N_(message: str) -> str:
    """Marks a message for the catalogue; it is translated when a text is built."""
    return message


KIND_NAMES = {
    "hq": N_("headquarters"),
    "region": N_("region"),
    "hub": N_("hub"),
    "depot": N_("depot"),
    "courier": N_("courier"),
    "merchant": N_("merchant"),
    "vendor": N_("data-entry vendor"),
    "partner": N_("partner system"),
    "warehouse": N_("warehouse"),
}
CHANNEL_NAMES = {"label": N_("printed label"), "system": N_("system record"), "api": N_("API feed")}
SIGNAL_NAMES = {
    "sms": N_("SMS"),
    "call": N_("call"),
    "online": N_("online sighting"),
    "tracking": N_("tracking lookup"),
    "photo": N_("label photo"),
    "dump": N_("data dump"),
}

# Verdict: the most likely reading of all signals, said before any ranking.
V_NOISE_POINTS = N_(
    "Most likely reading: noise only (probability {p}) — no node is shown to leak yet. "
    "The evidence points at: {nodes}."
)
V_NOISE_NOTHING = N_(
    "Most likely reading: noise only (probability {p}); no surfaced waybill points at any node."
)
V_ONE = N_("Most likely reading: {node} leaks (probability {p}).")
V_SET = N_("Most likely reading: {nodes} leaked together (probability {p}).")

# Summaries: one short paragraph per node.
S_LEAD = N_(
    "{node} is the most likely source (probability {p}): {n} of the {seen} decoy waybills it "
    "handled surfaced."
)
S_SET = N_(
    "{node} is one of the nodes that most likely leaked together (probability {p}): {n} of the "
    "{seen} decoy waybills it handled surfaced."
)
S_WEAK = N_(
    "The evidence points at {node}, but not firmly (probability {p}): {n} of the {seen} decoy "
    "waybills it handled surfaced."
)
S_NONE = N_(
    "No evidence against {node} (probability {p}): none of the {seen} decoy waybills it handled "
    "surfaced after it had them."
)
S_SHARED = N_(
    "The evidence points at {node}, but not firmly (probability {p}): only signals that fit several "
    "decoys (a shared canary number, a masked name) include decoys it handled."
)
S_WAYBILLS = N_("Surfaced waybills: {waybills}.")
S_CLEARED = N_("It is cleared by time for {n} surfaced waybills: they surfaced before it had them.")
S_READ_NOISE = N_(
    "Read it as a lead, not a finding: noise alone (spam, a guessed number) explains the signals "
    "with probability {noise}. Another of its waybills surfacing would make the case much stronger."
)
S_READ_GAIN = N_("The signals make it {ratio} times more suspicious than before.")
S_READ_SILENT = N_(
    "Its {silent} silent waybills weigh against a bulk leak, so its probability can stay below that "
    "of nodes with no evidence at all; it is ranked above them because a surfaced waybill points at it."
)

# Details: the longer sentences for an expandable section.
D_SURFACED = N_(
    "{n} of the {seen} decoys it saw have surfaced{waybills}; first on {first}, as {kinds}; it saw "
    "them through {channels}."
)
D_SILENT = N_(
    "{silent} other decoys it saw have not surfaced, which argues against a bulk leak; fitted leak "
    "rate ≈ {rate}."
)
D_CLEARED_SELF = N_(
    "{n} surfaced decoys reached it only after they surfaced, so they cannot be its doing{waybills}."
)
D_CLEARED_OTHERS = N_("Cleared by time: {nodes} saw these decoys only after they surfaced.")
D_RUNNER_UP = N_(
    "The runner-up is {node} (probability {p}): {reason}; it is about {ratio} times less likely."
)
D_RUNNER_UP_EQUAL = N_(
    "The runner-up {node} saw the same decoys and cannot be told apart: add decoys only one of them sees."
)
D_RUNNER_UP_CLOSE = N_("The runner-up is {node} (probability {p}): {reason}.")
D_LEADER = N_(
    "The most likely node is {node} (probability {p}); this node is about {ratio} times less "
    "likely: {reason}."
)
D_LEADER_CLOSE = N_("The most likely node is {node} (probability {p}); this node is behind it: {reason}.")
R_SILENT = N_("it saw {n} more decoys that stayed silent")
R_FEWER = N_("it explains only {a} surfaced decoys, against {b} for this node")
R_LATE = N_("it saw {n} of them only after they surfaced")
R_NO_SUPPORT = N_("no surfaced decoy points at it")
R_WEAKER = N_("its evidence is weaker overall")
D_SET = N_(
    "No single node explains all signals: the most probable explanation is a joint leak by {nodes} "
    "(probability {p}); surfaced decoys only this node explains: {n}{waybills}."
)
D_NOISE = N_(
    "Probability that noise alone (spam calls, false triggers) explains the signals: {p}; fitted "
    "false-trigger rate {f}."
)
D_HINT_SYSTEM = N_(
    "Hint: the full phone number of {n} privacy-label decoys surfaced — the label prints only a "
    "masked number, so it must have come from a system (export, API or database)."
)
D_HINT_PHOTO = N_("Hint: {n} label photos surfaced — this points at physical handling of the parcels.")
NODE = N_("{code} ({kind})")
SEPARATOR = N_(", ")
MORE = N_(" and {n} more")
WAYBILL_LIST = N_(": {waybills}")


@dataclass(frozen=True)
class Explanation:
    """What the console shows for one node: a short summary, and details behind a "more" toggle."""

    summary: str
    details: list[str] = field(default_factory=list)


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation("django", LOCALE_DIR, languages=["zh_Hans"], fallback=True)


def language(code: str) -> str:
    """One of ``LANGUAGES`` for a Django or browser language code (English or else Chinese)."""
    return "en" if code.lower().startswith("en") else "zh-hans"


class _Text:
    """Translates and fills messages in one language."""

    def __init__(self, lang: str, waybills: Mapping[int, str] | None) -> None:
        self.lang = language(lang)
        self._catalogue = _catalogue(self.lang)
        self.waybills = waybills

    def __call__(self, message: str, **values: Any) -> str:
        return self._catalogue.pgettext(CONTEXT, message).format(**values)

    def join(self, sentences: list[str]) -> str:
        return "".join(sentences) if self.lang == "zh-hans" else " ".join(sentences)

    def listing(self, items: list[str], total: int | None = None) -> str:
        """The first few ``items``, then "and N more" up to ``total`` (default: all of them)."""
        shown = self(SEPARATOR).join(items[:SHOWN_WAYBILLS])
        more = (len(items) if total is None else total) - min(len(items), SHOWN_WAYBILLS)
        return shown + (self(MORE, n=more) if more > 0 else "")

    def node(self, score: NodeScore) -> str:
        kind = KIND_NAMES.get(score.kind)
        return self(NODE, code=score.code, kind=self(kind) if kind else score.kind)

    def waybill_list(self, decoy_ids: tuple[int, ...] | list[int]) -> str:
        """Waybill numbers of ``decoy_ids`` for a sentence; empty when identities are withheld."""
        if self.waybills is None or not decoy_ids:
            return ""
        return self.listing([self.waybills.get(d, "?") for d in decoy_ids])

    def named(self, names: dict[str, str], key: str) -> str:
        name = names.get(key)
        return self(name) if name else key


def _p(value: float) -> str:
    return f"{value:.3f}"


def _ratio(log_ratio: float) -> str:
    ratio = math.exp(min(log_ratio, 700.0))
    return f"{ratio:.0f}" if ratio < 1e6 else f"{ratio:.1e}"


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(TIME_ZONE).strftime("%Y-%m-%d %H:%M")


def _in_leak_set(result: Attribution, code: str) -> bool:
    return len(result.leak_set) > 1 and any(m.code == code for m in result.leak_set)


# --------------------------------------------------------------------------------------------------


def verdict(result: Attribution, lang: str = "zh-hans") -> str:
    """The most likely reading of the signals, in one or two sentences, said before any ranking."""
    t = _Text(lang, None)
    if result.noise_most_likely:
        pointed = [t.node(n) for n in result.pointed_at(SHOWN_WAYBILLS)]
        if not pointed:
            return t(V_NOISE_NOTHING, p=_p(result.noise_only))
        nodes = t.listing(pointed, total=int(result.table.supported.sum()))
        return t(V_NOISE_POINTS, p=_p(result.noise_only), nodes=nodes)
    if len(result.leak_set) > 1:
        nodes = t(SEPARATOR).join(t.node(result.node(m.code)) for m in result.leak_set)
        return t(V_SET, nodes=nodes, p=_p(result.leak_set_posterior))
    top = result.top
    return t(V_ONE, node=t.node(top), p=_p(top.posterior)) if top else ""


def explain_node(
    result: Attribution,
    ledger: Ledger,
    code: str,
    lang: str = "zh-hans",
    waybills: Mapping[int, str] | None = None,
) -> Explanation:
    """Why ``code`` stands where it does: a short summary and the details behind it."""
    t = _Text(lang, waybills)
    node = result.node(code)
    return Explanation(summary=t.join(_summary(result, node, t)), details=_details(result, ledger, node, t))


def _summary(result: Attribution, node: NodeScore, t: _Text) -> list[str]:
    values = {
        "node": t.node(node),
        "p": _p(node.posterior),
        "n": len(node.supporting_decoys),
        "seen": node.seen,
    }
    if not node.supported:
        parts = [t(S_NONE, **values)]
        if node.cleared_by_time:
            parts.append(t(S_CLEARED, n=len(node.cleared_by_time)))
        return parts
    if not node.supporting_decoys:
        parts = [t(S_SHARED, **values)]
    elif result.noise_most_likely or (node.rank > 1 and not _in_leak_set(result, node.code)):
        parts = [t(S_WEAK, **values)]
    elif _in_leak_set(result, node.code):
        parts = [t(S_SET, **values)]
    else:
        parts = [t(S_LEAD, **values)]
    if node.supporting_decoys and t.waybills is not None:
        parts.append(t(S_WAYBILLS, waybills=t.waybill_list(node.supporting_decoys)))
    if result.noise_most_likely:
        # The words to read a small probability by: "0.041 next to noise 0.928" is a lead.
        parts.append(t(S_READ_NOISE, noise=_p(result.noise_only)))
        if node.log_bayes_factor > math.log(2.0):
            parts.append(t(S_READ_GAIN, ratio=_ratio(node.log_bayes_factor)))
        elif node.log_bayes_factor < 0 and node.silent:
            parts.append(t(S_READ_SILENT, silent=node.silent))
    return parts


def _reason(other: NodeScore, this: NodeScore, t: _Text) -> str:
    """Why ``other`` is less likely than ``this``, in the model's own terms: the biggest difference."""
    late = set(other.cleared_by_time) & set(this.supporting_decoys)
    if late:
        return t(R_LATE, n=len(late))
    if not other.supported and this.supported:
        return t(R_NO_SUPPORT)
    if len(other.supporting_decoys) < len(this.supporting_decoys):
        return t(R_FEWER, a=len(other.supporting_decoys), b=len(this.supporting_decoys))
    if other.silent > this.silent:
        return t(R_SILENT, n=other.silent - this.silent)
    return t(R_WEAKER)


def _with_waybills(t: _Text, decoy_ids: tuple[int, ...] | list[int]) -> str:
    listed = t.waybill_list(decoy_ids)
    return t(WAYBILL_LIST, waybills=listed) if listed else ""


def _details(result: Attribution, ledger: Ledger, node: NodeScore, t: _Text) -> list[str]:
    parts: list[str] = []
    supporting = sorted((result.surfaced[d] for d in node.supporting_decoys), key=lambda s: s.first_seen)
    if supporting:
        index = ledger.decoy_indexes([s.decoy_id for s in supporting]).tolist()
        channels = sorted({ch for i in index if (ch := (ledger.exposure(node.index, i) or (0.0, ""))[1])})
        parts.append(
            t(
                D_SURFACED,
                n=len(supporting),
                seen=node.seen,
                waybills=_with_waybills(t, [s.decoy_id for s in supporting]),
                first=_when(supporting[0].first_seen),
                kinds=t(SEPARATOR).join(
                    t.named(SIGNAL_NAMES, k) for k in sorted({k for s in supporting for k in s.kinds})
                ),
                channels=t(SEPARATOR).join(t.named(CHANNEL_NAMES, c) for c in channels),
            )
        )
    if node.silent:
        parts.append(t(D_SILENT, silent=node.silent, rate=f"{node.leak_rate:.3f}"))
    if node.cleared_by_time:
        parts.append(
            t(D_CLEARED_SELF, n=len(node.cleared_by_time), waybills=_with_waybills(t, node.cleared_by_time))
        )
    mine = set(node.supporting_decoys)
    # Every node of a national network is scored: look only at those that cleared something.
    cleared = [
        other
        for other in result.nodes
        if other.cleared_by_time and other.code != node.code and not mine.isdisjoint(other.cleared_by_time)
    ]
    if cleared:
        parts.append(t(D_CLEARED_OTHERS, nodes=t.listing([t.node(o) for o in cleared])))
    parts += _rival(result, node, t)
    if _in_leak_set(result, node.code):
        member = next(m for m in result.leak_set if m.code == node.code)
        parts.append(
            t(
                D_SET,
                nodes=t(SEPARATOR).join(m.code for m in result.leak_set),
                p=_p(result.leak_set_posterior),
                n=len(member.unique_decoys),
                waybills=_with_waybills(t, member.unique_decoys),
            )
        )
    full_phone = [s for s in supporting if s.full_phone and s.privacy_label]
    if full_phone:
        parts.append(t(D_HINT_SYSTEM, n=len(full_phone)))
    photos = [s for s in supporting if "photo" in s.kinds]
    if photos:
        parts.append(t(D_HINT_PHOTO, n=len(photos)))
    parts.append(t(D_NOISE, p=_p(result.noise_only), f=f"{result.false_rate:.4f}"))
    return parts


def _rival(result: Attribution, node: NodeScore, t: _Text) -> list[str]:
    """The runner-up (for the leader or a leak-set member) or the leader (for everyone else)."""
    # Co-members of the leak set are not rivals: the runner-up is the best node outside the set.
    members = {m.code for m in result.leak_set}

    def others():  # lazily: the ranking lists every node of the network, the rival is near its top
        return (n for n in result.nodes if n.code != node.code and n.code not in members)

    first_other = next(others(), None)
    if first_other is None:
        return []
    if node.rank == 1 or node.code in members:
        runner = next((n for n in others() if n.rank > node.rank), first_other)
        mine = set(node.supporting_decoys)
        if mine and set(runner.supporting_decoys) == mine and runner.silent == node.silent:
            return [t(D_RUNNER_UP_EQUAL, node=t.node(runner))]
        return [_compare(t, D_RUNNER_UP, D_RUNNER_UP_CLOSE, runner, runner, node)]
    leader = result.nodes[0]
    return [_compare(t, D_LEADER, D_LEADER_CLOSE, leader, node, leader)]


def _compare(
    t: _Text, message: str, close: str, named: NodeScore, behind: NodeScore, ahead: NodeScore
) -> str:
    """``message`` with how many times less likely ``behind`` is than ``ahead``; ``close`` when the
    ratio would read "about 1 times" or less (a node ranked ahead for its support, not its odds)."""
    log_ratio = ahead.log_bayes_factor - behind.log_bayes_factor
    values = {"node": t.node(named), "p": _p(named.posterior), "reason": _reason(behind, ahead, t)}
    if log_ratio < math.log(1.5):
        return t(close, **values)
    return t(message, ratio=_ratio(log_ratio), **values)


def report(
    result: Attribution,
    ledger: Ledger,
    lang: str = "zh-hans",
    limit: int = 20,
    waybills: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """The ``attribute --json`` document: the verdict first, then ranked nodes with explanations.

    Each node row gets ``explanation`` (the summary) and ``details`` in ``lang``.
    """
    data = result.to_dict(limit=limit)
    data["verdict"] = verdict(result, lang)
    for row in data["nodes"]:
        text = explain_node(result, ledger, row["node"], lang, waybills)
        row["explanation"] = text.summary
        row["details"] = text.details
    return data
