"""Figures the console shows that would cost too much to compute per page view."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SeenTally(models.Model):
    """How many of one campaign's decoys each node saw, counted once by a worker.

    The network tree shows, for every node, the decoys it saw in active campaigns: millions of
    exposure rows at national scale. A campaign's exposures never change once it is issued, so
    they are counted once per campaign (``canary.console.tallies``) and the tree sums these rows.
    """

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    counted_at = models.DateTimeField(_("counted"), auto_now_add=True)

    class Meta:
        verbose_name = _("decoys-seen tally")
        verbose_name_plural = _("decoys-seen tallies")

    def __str__(self) -> str:
        return f"{self.campaign_id} @ {self.counted_at:%Y-%m-%d %H:%M}"


class SeenCount(models.Model):
    """One node's count in a tally: distinct decoys of the campaign it could see."""

    tally = models.ForeignKey(SeenTally, on_delete=models.CASCADE, related_name="counts")
    node = models.ForeignKey("network.Node", on_delete=models.CASCADE, related_name="+")
    decoys = models.PositiveIntegerField(_("decoys seen"))

    class Meta:
        verbose_name = _("decoys seen by a node")
        verbose_name_plural = _("decoys seen by nodes")
        constraints = [models.UniqueConstraint(fields=["tally", "node"], name="one_seen_count_per_node")]

    def __str__(self) -> str:
        return f"{self.node_id}: {self.decoys}"
