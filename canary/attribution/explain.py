"""Plain-language explanations of an attribution, in Simplified Chinese (default) and English. Pure.

For one node: how many of its decoys surfaced, which, when and through which channel; how many it
saw that stayed silent; which other nodes were cleared by time; why the runner-up is less likely;
and what the shape of the leak says about how it happened (a privacy-label decoy whose full phone
number surfaced can only have left through a system; a label photo means physical handling).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from canary.attribution.engine import Attribution, NodeScore
from canary.attribution.ledger import Ledger

TIME_ZONE = ZoneInfo("Asia/Shanghai")
SHOWN_DECOYS = 5  # list at most this many decoy ids in a sentence

KIND_NAMES = {
    "zh-hans": {
        "hq": "总部",
        "region": "区域",
        "hub": "转运中心",
        "depot": "网点",
        "courier": "快递员",
        "merchant": "商家",
        "vendor": "外包录单商",
        "partner": "合作系统",
        "warehouse": "仓库",
    },
    "en": {
        "hq": "headquarters",
        "region": "region",
        "hub": "hub",
        "depot": "depot",
        "courier": "courier",
        "merchant": "merchant",
        "vendor": "data-entry vendor",
        "partner": "partner system",
        "warehouse": "warehouse",
    },
}
CHANNEL_NAMES = {
    "zh-hans": {"label": "面单", "system": "系统记录", "api": "API 接口"},
    "en": {"label": "printed label", "system": "system record", "api": "API feed"},
}
SIGNAL_NAMES = {
    "zh-hans": {
        "sms": "短信",
        "call": "来电",
        "online": "网上发现",
        "tracking": "查件",
        "photo": "面单照片",
        "dump": "数据包",
    },
    "en": {
        "sms": "SMS",
        "call": "call",
        "online": "online sighting",
        "tracking": "tracking lookup",
        "photo": "label photo",
        "dump": "data dump",
    },
}

TEXT = {
    "zh-hans": {
        "head": "{code}（{kind}）：泄露概率 {posterior}，排名第 {rank}。",
        "surfaced": (
            "它经手的 {seen} 个诱饵中有 {n} 个已出现："
            "{decoys}；最早于 {first}，途径：{kinds}；"
            "它经由{channels}看到这些诱饵。"
        ),
        "none_surfaced": "它经手的 {seen} 个诱饵均未出现。",
        "silent": (
            "另有 {silent} 个它经手的诱饵至今未出现，这不利于“大批量泄露”的假设；拟合泄露比例约 {rate}。"
        ),
        "cleared_self": "有 {n} 个已出现的诱饵在它经手之前就已出现，因此不能归因于它：{decoys}。",
        "cleared_others": "按时间排除：{nodes} 在这些诱饵出现之后才经手，已排除。",
        "runner_up": (
            "次可能的是 {code}（{kind}，概率 {posterior}）：{reason}，可能性约为本节点的 1/{ratio}。"
        ),
        "runner_up_equal": (
            "次可能的是 {code}（{kind}）：与本节点经手的诱饵无法区分，建议追加只有其中一方能看到的诱饵。"
        ),
        "leader": "最可能的是 {code}（{kind}，概率 {posterior}）；本节点可能性约为其 1/{ratio}：{reason}。",
        "reason_silent": "它多经手了 {n} 个未出现的诱饵",
        "reason_fewer": "它只能解释 {a} 个已出现诱饵，本节点能解释 {b} 个",
        "reason_more": "它能解释更多已出现的诱饵（{a} 对 {b}）",
        "reason_late": "其中 {n} 个诱饵它是在出现之后才经手的",
        "reason_weaker": "它的证据整体较弱",
        "set": (
            "单个节点无法解释全部信号：最可能的是多方泄露 {members}（概率 {posterior}）"
            "；本节点独自解释的诱饵：{decoys}。"
        ),
        "noise": "仅由噪声（骚扰电话、误触发）解释的概率为 {p}；拟合误触发率 {f}。",
        "hint_system": (
            "线索：{n} 个隐私面单诱饵的完整手机号已出现——隐私面单上只印掩码号码，"
            "完整号码只能来自系统（导出、接口或数据库）"
            "。"
        ),
        "hint_photo": "线索：出现了 {n} 张面单照片——指向实物经手（拍摄包裹面单）。",
        "sep": "、",
        "more": " 等（另有 {n} 个）",
    },
    "en": {
        "head": "{code} ({kind}): probability of leaking {posterior}, rank {rank}.",
        "surfaced": (
            "{n} of the {seen} decoys it saw have surfaced: {decoys}; first on {first}, as {kinds}; "
            "it saw them through {channels}."
        ),
        "none_surfaced": "None of the {seen} decoys it saw has surfaced.",
        "silent": (
            "{silent} other decoys it saw have not surfaced, "
            "which argues against a bulk leak; fitted "
            "leak rate ≈ {rate}."
        ),
        "cleared_self": (
            "{n} surfaced decoys reached it only after they surfaced, so they cannot be its doing: {decoys}."
        ),
        "cleared_others": "Cleared by time: {nodes} saw these decoys only after they surfaced.",
        "runner_up": (
            "The runner-up is {code} ({kind}, probability {posterior}): {reason}; it is about "
            "{ratio} times less likely."
        ),
        "runner_up_equal": (
            "The runner-up {code} ({kind}) saw the same decoys and cannot be told apart: add "
            "decoys only one of them sees."
        ),
        "leader": (
            "The most likely node is {code} ({kind}, probability {posterior}); this node is about "
            "{ratio} times less likely: {reason}."
        ),
        "reason_silent": "it saw {n} more decoys that stayed silent",
        "reason_fewer": "it explains only {a} surfaced decoys, against {b} for this node",
        "reason_more": "it explains more surfaced decoys ({a} against {b})",
        "reason_late": "it saw {n} of them only after they surfaced",
        "reason_weaker": "its evidence is weaker overall",
        "set": (
            "No single node explains all signals: the most probable explanation is a joint leak "
            "by {members} (probability {posterior}); decoys only this node explains: {decoys}."
        ),
        "noise": (
            "Probability that noise alone (spam calls, false triggers) explains the signals: "
            "{p}; fitted false-trigger rate {f}."
        ),
        "hint_system": (
            "Hint: the full phone number of {n} privacy-label "
            "decoy(s) surfaced — the label prints only "
            "a masked number, so it must have come from "
            "a system (export, API or database)."
        ),
        "hint_photo": "Hint: {n} label photo(s) surfaced — this points at physical handling of the parcels.",
        "sep": ", ",
        "more": " and {n} more",
    },
}


def _lang(lang: str) -> str:
    return "en" if lang.lower().startswith("en") else "zh-hans"


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(TIME_ZONE).strftime("%Y-%m-%d %H:%M")


def _list(items: list[str], lang: str) -> str:
    t = TEXT[lang]
    shown = t["sep"].join(items[:SHOWN_DECOYS])
    return shown + (t["more"].format(n=len(items) - SHOWN_DECOYS) if len(items) > SHOWN_DECOYS else "")


def _ratio(log_ratio: float) -> str:
    ratio = math.exp(min(log_ratio, 700.0))
    return f"{ratio:.0f}" if ratio < 1e6 else f"{ratio:.1e}"


def _reason(other: NodeScore, this: NodeScore, lang: str) -> str:
    """Why ``other`` is less likely than ``this``, in the model's own terms: the biggest difference."""
    t = TEXT[lang]
    late = set(other.cleared_by_time) & set(this.supporting_decoys)
    if late:
        return t["reason_late"].format(n=len(late))
    if len(other.supporting_decoys) < len(this.supporting_decoys):
        return t["reason_fewer"].format(a=len(other.supporting_decoys), b=len(this.supporting_decoys))
    if other.silent > this.silent:
        return t["reason_silent"].format(n=other.silent - this.silent)
    return t["reason_weaker"]


def explain(result: Attribution, ledger: Ledger, code: str, lang: str = "zh-hans") -> str:
    """A few sentences on why ``code`` stands where it does in ``result``."""
    lang = _lang(lang)
    t = TEXT[lang]
    node = result.node(code)
    kind = KIND_NAMES[lang].get(node.kind, node.kind)
    parts = [t["head"].format(code=code, kind=kind, posterior=f"{node.posterior:.3f}", rank=node.rank)]

    supporting = [result.surfaced[d] for d in node.supporting_decoys]
    decoy_index = dict(
        zip(node.supporting_decoys, ledger.decoy_indexes(list(node.supporting_decoys)).tolist(), strict=True)
    )
    if supporting:
        kinds = sorted({k for s in supporting for k in s.kinds})
        channels = sorted(
            {
                ch
                for s in supporting
                if (ch := (ledger.exposure(node.index, decoy_index[s.decoy_id]) or (0.0, ""))[1])
            }
        )
        parts.append(
            t["surfaced"].format(
                n=len(supporting),
                seen=node.seen,
                decoys=_list([str(s.decoy_id) for s in sorted(supporting, key=lambda s: s.first_seen)], lang),
                first=_when(min(s.first_seen for s in supporting)),
                kinds=t["sep"].join(SIGNAL_NAMES[lang].get(k, k) for k in kinds),
                channels=t["sep"].join(CHANNEL_NAMES[lang].get(c, c) for c in channels),
            )
        )
    else:
        parts.append(t["none_surfaced"].format(seen=node.seen))
    if node.silent:
        parts.append(t["silent"].format(silent=node.silent, rate=f"{node.leak_rate:.2f}"))
    if node.cleared_by_time:
        parts.append(
            t["cleared_self"].format(
                n=len(node.cleared_by_time), decoys=_list([str(d) for d in node.cleared_by_time], lang)
            )
        )
    mine = set(node.supporting_decoys)
    cleared = [
        other.code for other in result.nodes if other.code != code and mine & set(other.cleared_by_time)
    ]
    if cleared:
        parts.append(t["cleared_others"].format(nodes=_list(cleared, lang)))

    # Co-members of the leak set are not rivals: the runner-up is the best node outside the set.
    members = [m.code for m in result.leak_set]
    others = [n for n in result.nodes if n.code != code and n.code not in members]
    if others:
        if node.rank == 1 or code in members:
            runner = next((n for n in others if n.rank > node.rank), others[0])
            if set(runner.supporting_decoys) == mine and runner.silent == node.silent and mine:
                parts.append(
                    t["runner_up_equal"].format(
                        code=runner.code, kind=KIND_NAMES[lang].get(runner.kind, runner.kind)
                    )
                )
            else:
                parts.append(
                    t["runner_up"].format(
                        code=runner.code,
                        kind=KIND_NAMES[lang].get(runner.kind, runner.kind),
                        posterior=f"{runner.posterior:.3f}",
                        reason=_reason(runner, node, lang),
                        ratio=_ratio(node.log_bayes_factor - runner.log_bayes_factor),
                    )
                )
        else:
            leader = result.nodes[0]
            parts.append(
                t["leader"].format(
                    code=leader.code,
                    kind=KIND_NAMES[lang].get(leader.kind, leader.kind),
                    posterior=f"{leader.posterior:.3f}",
                    reason=_reason(node, leader, lang),
                    ratio=_ratio(leader.log_bayes_factor - node.log_bayes_factor),
                )
            )
    if len(members) > 1 and code in members:
        member = next(m for m in result.leak_set if m.code == code)
        parts.append(
            t["set"].format(
                members=t["sep"].join(members),
                posterior=f"{result.leak_set_posterior:.3f}",
                decoys=_list([str(d) for d in member.unique_decoys], lang),
            )
        )
    full_phone = [s for s in supporting if s.full_phone and s.privacy_label]
    if full_phone:
        parts.append(t["hint_system"].format(n=len(full_phone)))
    photos = [s for s in supporting if "photo" in s.kinds]
    if photos:
        parts.append(t["hint_photo"].format(n=len(photos)))
    if result.noise_only >= 0.01 or node.rank == 1:
        parts.append(t["noise"].format(p=f"{result.noise_only:.3f}", f=f"{result.false_rate:.4f}"))
    return "".join(parts) if lang == "zh-hans" else " ".join(parts)


def report(result: Attribution, ledger: Ledger, lang: str = "zh-hans", limit: int = 20) -> dict[str, Any]:
    """The ``attribute --json`` document: ranked nodes with explanations, baseline, noise-only."""
    data = result.to_dict(limit=limit)
    for row in data["nodes"]:
        row["explanation"] = explain(result, ledger, row["node"], lang)
    return data
