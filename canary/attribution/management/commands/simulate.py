import json

from django.core.management.base import BaseCommand, CommandError

from canary.attribution.evaluate import Evaluation, evaluate
from canary.attribution.simulator import NetworkSpec, Scenario

DECODER_NAMES = {"ours": "ours", "pgm": "PGM baseline", "oracle": "Bayes oracle"}


class Command(BaseCommand):
    help = (
        "Simulate leaks on a synthetic courier network and compare how often our decoder, the PGM "
        "guilt baseline and the Bayes oracle (told the truth about q and f) find the leaker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--depots", type=int, default=40, help="depots; other node kinds scale with it")
        parser.add_argument("--couriers-per-depot", type=int, default=3)
        parser.add_argument("--decoys", type=int, default=8, help="decoys per target node (the budget)")
        parser.add_argument("--q", type=float, default=0.5, help="share of what a leaker saw that it leaks")
        parser.add_argument("--f", type=float, default=0.01, help="false-trigger rate per decoy")
        parser.add_argument("--p", type=float, default=0.0, help="independent surfacing rate per decoy")
        parser.add_argument("--colluders", type=int, default=1, help="leaking nodes (0 = noise only)")
        parser.add_argument(
            "--old-records-days", type=float, default=None, help="leaker sells only old records"
        )
        parser.add_argument("--see-everything", type=int, default=0, help="full-scope systems (HQ DB, API)")
        parser.add_argument("--split", action="store_true", help="split full-scope systems by region")
        parser.add_argument("--worlds", type=int, default=30, help="simulated leaks")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        depots = options["depots"]
        if depots < 2 or options["decoys"] < 1 or options["worlds"] < 1:
            raise CommandError("--depots must be ≥ 2, --decoys and --worlds ≥ 1")
        if not 0 <= options["colluders"] <= 3:
            raise CommandError("--colluders must be 0 (noise only) to 3")
        for name in ("q", "f", "p"):
            if not 0.0 <= options[name] <= 1.0:
                raise CommandError(f"--{name} must be between 0 and 1")
        network = NetworkSpec(
            hubs=max(2, depots // 20),
            depots=depots,
            couriers_per_depot=options["couriers_per_depot"],
            merchants=max(1, depots * 3 // 4),
            vendors=max(1, depots // 10),
            partners=max(1, depots // 13),
            see_everything=options["see_everything"],
            split_see_everything=options["split"],
        )
        scenario = Scenario(
            leakers=options["colluders"],
            leak_rate=options["q"],
            false_rate=options["f"],
            independent_rate=options["p"],
            old_records_only_days=options["old_records_days"],
        )
        result = evaluate(network, options["decoys"], scenario, options["worlds"], options["seed"])
        if options["json"]:
            data = result.to_dict()
            data["scenario"] = {k: options[k] for k in ("decoys", "q", "f", "p", "colluders", "seed")}
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(self.table(result, options))

    def table(self, result: Evaluation, options: dict) -> str:
        lines = [
            f"{result.nodes} nodes, {result.decoys} decoys ({options['decoys']} per target), "
            f"{options['colluders']} leaker(s), q={options['q']} f={options['f']} p={options['p']}, "
            f"{result.worlds} worlds (seed {options['seed']}), {result.mean_signals:.0f} signals per world",
            "",
            f"{'decoder':<14} {'top-1':>7} {'mean rank':>10} {'all found':>10} {'false acc.':>11}",
        ]
        for name, score in result.scores.items():
            s = score.summary()
            if options["colluders"]:
                found = f"{s['top1']:>7.1%} {s['mean_rank']:>10.2f} {s['all_found']:>10.1%}"
            else:  # noise only: there is nobody to find, only innocents to accuse
                found = f"{'-':>7} {'-':>10} {'-':>10}"
            lines.append(f"{DECODER_NAMES[name]:<14} {found} {s['false_accusation']:>11.1%}")
        return "\n".join(lines)
