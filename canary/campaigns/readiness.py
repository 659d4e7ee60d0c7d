"""May this campaign go live? Every reason it may not, in words the console and CLI can show.

A campaign with no decoys watches nothing; a target node with no decoy can never be caught; two
targets with the same set of canary numbers cannot be told apart by a call; a number that another
campaign holds would mix two campaigns' calls. Any of these makes the plan invalid.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from .models import Campaign, CampaignStatus, CampaignTarget, Decoy


def activation_problems(campaign: Campaign) -> list[str]:
    if campaign.status != CampaignStatus.DRAFT:
        return [
            _("Only a draft campaign can be activated; this one is %(status)s.")
            % {"status": campaign.get_status_display()}
        ]
    decoys = Decoy.objects.filter(campaign=campaign, is_control=False)
    if not decoys.exists():
        return [_("The campaign has no decoys: issue them first.")]
    problems = []
    targets = list(
        CampaignTarget.objects.filter(campaign=campaign).select_related("node").order_by("node__code")
    )
    seeded = set(decoys.values_list("target_id", flat=True).distinct())
    bare = [t.node.code for t in targets if t.node_id not in seeded]
    if bare:
        problems.append(_("These target nodes have no decoy: %(nodes)s.") % {"nodes": "、".join(bare[:20])})
    by_word: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for target in targets:
        by_word[tuple(sorted(target.codeword))].append(target.node.code)
    for codes in by_word.values():
        if len(codes) > 1:
            problems.append(
                _("These target nodes carry the same canary numbers and cannot be told apart: %(nodes)s.")
                % {"nodes": "、".join(codes)}
            )
    foreign = (
        decoys.exclude(number__campaign=campaign)
        .exclude(number__isnull=True)
        .values_list("number__e164", "number__campaign__slug")
        .distinct()
    )
    for e164, other in foreign[:20]:
        problems.append(
            _("Canary number %(number)s is held by %(other)s, not by this campaign.")
            % {"number": e164, "other": other or _("nobody")}
        )
    return problems
