"""A sighting is one piece of evidence per campaign, not one row per candidate decoy.

Rows that were written per candidate of a shared canary phone are folded into one per place,
evidence and campaign, keeping the first (its ``signalled`` flag with it).
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models


def fold_shared_evidence(apps, schema_editor):
    from canary.sightings.scanning import evidence_key

    Sighting = apps.get_model("sightings", "Sighting")
    groups: dict[tuple, list[tuple[int, int, int]]] = defaultdict(list)
    rows = Sighting.objects.order_by("id").values_list(
        "id", "document_id", "location", "candidates", "decoy_id", "decoy__campaign_id"
    )
    for ident, document_id, location, candidates, decoy_id, campaign_id in rows.iterator():
        whole = candidates or [decoy_id]
        groups[(document_id, location, evidence_key(whole), campaign_id)].append((ident, decoy_id, len(whole)))
    for (_, _, key, campaign_id), members in groups.items():
        decoys = sorted(decoy_id for _, decoy_id, _ in members)
        pinned = members[0][2] == 1
        Sighting.objects.filter(pk=members[0][0]).update(
            campaign_id=campaign_id,
            evidence_key=key,
            candidates=decoys,
            decoy_id=decoys[0] if pinned else None,
        )
        Sighting.objects.filter(pk__in=[ident for ident, _, _ in members[1:]]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_initial"),
        ("sightings", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="sighting", name="one_sighting_per_place"),
        migrations.AddField(
            model_name="sighting",
            name="campaign",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sightings",
                to="campaigns.campaign",
                verbose_name="campaign",
            ),
        ),
        migrations.AddField(
            model_name="sighting",
            name="evidence_key",
            field=models.CharField(default="", max_length=80, verbose_name="evidence key"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="sighting",
            name="decoy",
            field=models.ForeignKey(
                blank=True,
                help_text="The decoy, when the evidence fits only one.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sightings",
                to="campaigns.decoy",
                verbose_name="decoy",
            ),
        ),
        migrations.RunPython(fold_shared_evidence, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="sighting",
            name="campaign",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sightings",
                to="campaigns.campaign",
                verbose_name="campaign",
            ),
        ),
        migrations.AddConstraint(
            model_name="sighting",
            constraint=models.UniqueConstraint(
                fields=("document", "location", "evidence_key", "campaign"), name="one_sighting_per_evidence"
            ),
        ),
    ]
