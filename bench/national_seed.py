"""A national-scale database for the page benchmarks: 10,000 nodes, 1,050,000 decoys in four
campaigns, about 9.3 million route-like exposures, and the rows that grow with them (canary numbers,
contacts, sightings, signals, incidents, audit events).

A bench fixture, not product code: rows are written by PostgreSQL itself (``INSERT … SELECT
generate_series``) with the big tables' indexes dropped during the load and rebuilt after, so the
whole seed takes minutes rather than the hours issuing would. A manifest row in the database names
the seed's version and counts; ``ensure_seed`` reuses a database whose manifest matches.
"""

from __future__ import annotations

import json
import time

import psycopg

SEED_VERSION = 4
NATIONAL = "national-2026"
CAMPAIGNS = (
    # slug, name, status, decoys
    (NATIONAL, "全国网点排查 2026", "active", 1_000_000),
    ("east-q4", "华东四季度", "active", 20_000),
    ("west-q3", "西部三季度", "ended", 20_000),
    ("pilot", "试点", "draft", 10_000),
)
NUMBERS = 2_000
CONTACTS = 20_000
MATCHED_CONTACTS = 2_000  # the newest contacts, each matched to every decoy of its number
DOCUMENTS = 500
SIGHTINGS = 50_000
SIGNALS = 5_000
INCIDENTS = 2_000
AUDIT_EVENTS = 1_000_000

# Node ids are laid out in blocks so that routes can be computed in SQL. The tree is the
# documented one: HQ → region → hub → depot → courier (merchants under depots; vendors and
# partner systems under HQ).
HQ, REGIONS, HUBS, DEPOTS, COURIERS = 1, (2, 30), (32, 200), (232, 3000), (3232, 6000)
MERCHANTS, VENDORS, PARTNERS = (9232, 600), (9832, 100), (9932, 69)

BIG_TABLES = (
    "campaigns_decoy",
    "campaigns_exposure",
    "audit_auditevent",
    "attribution_signal_decoys",
    "phones_contact_matched_decoys",
)


def manifest() -> dict:
    return {
        "version": SEED_VERSION,
        "campaigns": [list(c) for c in CAMPAIGNS],
        "numbers": NUMBERS,
        "contacts": CONTACTS,
        "sightings": SIGHTINGS,
        "signals": SIGNALS,
        "incidents": INCIDENTS,
        "audit": AUDIT_EVENTS,
    }


def describe() -> str:
    decoys = sum(c[3] for c in CAMPAIGNS)
    return (
        f"{decoys:,} decoys in {len(CAMPAIGNS)} campaigns (the largest {CAMPAIGNS[0][3]:,}), about nine "
        f"route-like exposures per exposed decoy, 10,000 nodes, {NUMBERS:,} canary numbers, "
        f"{CONTACTS:,} contacts ({MATCHED_CONTACTS:,} matched to every decoy of their number), "
        f"{SIGHTINGS:,} sightings, {SIGNALS:,} signals, {INCIDENTS:,} incidents, "
        f"{AUDIT_EVENTS:,} audit events"
    )


def stored_manifest(conninfo: str) -> dict | None:
    try:
        with psycopg.connect(conninfo) as conn:
            row = conn.execute("SELECT body FROM bench_manifest").fetchone()
    except psycopg.Error:
        return None
    return json.loads(row[0]) if row else None


def _step(conn: psycopg.Connection, label: str, sql: str, params: tuple = ()) -> None:
    started = time.perf_counter()
    if params:
        # Modulo signs are literal; only %s are placeholders.
        sql = sql.replace("%", "%%").replace("%%s", "%s")
    # Client-side binding: numbers become plain literals, typed as PostgreSQL types them.
    with psycopg.ClientCursor(conn) as cur:
        cur.execute(sql, params or None)
        rows = cur.rowcount
    conn.commit()
    print(f"  {label}: {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)


def _secondary_indexes(conn: psycopg.Connection, table: str) -> list[tuple[str, str, str | None]]:
    """(index name, CREATE INDEX statement, constraint definition or None), primary key excepted."""
    return conn.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid),
               CASE WHEN c.oid IS NULL THEN NULL ELSE pg_get_constraintdef(c.oid) END
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
        WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
        """,
        (table,),
    ).fetchall()


def _without_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop the big tables' secondary indexes; returns the statements that rebuild them."""
    rebuild = []
    for table in BIG_TABLES:
        for name, create, constraint in _secondary_indexes(conn, table):
            if constraint:
                conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {constraint}')
            else:
                conn.execute(f'DROP INDEX "{name}"')
                rebuild.append(create)
    conn.commit()
    return rebuild


def seed(conninfo: str) -> None:
    """Fill a freshly migrated database (every table empty)."""
    started = time.perf_counter()
    with psycopg.connect(conninfo) as conn:
        # A fixture: no foreign-key triggers during the load (the generated keys are consistent).
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        _nodes(conn)
        _campaigns_and_numbers(conn)
        rebuild = _without_indexes(conn)
        _decoys(conn)
        _exposures(conn)
        _watch_rows(conn)
        _audit(conn)
        for statement in rebuild:
            _step(conn, statement.split(" ON ")[0][:70], statement)
        for table in (
            "network_node",
            "campaigns_campaign",
            "campaigns_campaigntarget",
            "phones_canarynumber",
            "phones_contact",
            "sightings_document",
            "sightings_sighting",
            "attribution_signal",
            "alerts_incident",
            *BIG_TABLES,
        ):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        conn.commit()
        conn.autocommit = True
        _step(conn, "VACUUM ANALYZE", "VACUUM ANALYZE")
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)


def store_manifest(conninfo: str) -> None:
    """Written last: a seed that stopped half-way is never taken for a whole one."""
    with psycopg.connect(conninfo) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_manifest (body text)")
        conn.execute("DELETE FROM bench_manifest")
        conn.execute("INSERT INTO bench_manifest VALUES (%s)", (json.dumps(manifest()),))


def _nodes(conn: psycopg.Connection) -> None:
    blocks = [
        ("hq", 1, 1, "NULL"),
        ("region", *REGIONS, str(HQ)),
        ("hub", *HUBS, f"{REGIONS[0]} + (i - {HUBS[0]}) % {REGIONS[1]}"),
        ("depot", *DEPOTS, f"{HUBS[0]} + (i - {DEPOTS[0]}) % {HUBS[1]}"),
        ("courier", *COURIERS, f"{DEPOTS[0]} + (i - {COURIERS[0]}) % {DEPOTS[1]}"),
        ("merchant", *MERCHANTS, f"{DEPOTS[0]} + (i - {MERCHANTS[0]}) % {DEPOTS[1]}"),
        ("vendor", *VENDORS, str(HQ)),
        ("partner", *PARTNERS, str(HQ)),
    ]
    for kind, first, count, parent in blocks:
        _step(
            conn,
            f"nodes {kind}",
            f"""INSERT INTO network_node (id, code, name, kind, province, city, created_at,
                updated_at, parent_id)
                SELECT i, upper(left(%s, 1)) || '-' || lpad(i::text, 5, '0'), %s || i, %s,
                       '浙江省', '杭州市', now(), now(), {parent}
                FROM generate_series(%s, %s) AS i""",
            (kind, f"{kind} ", kind, first, first + count - 1),
        )


def _campaigns_and_numbers(conn: psycopg.Connection) -> None:
    for index, (slug, name, status, decoys) in enumerate(CAMPAIGNS, start=1):
        _step(
            conn,
            f"campaign {slug}",
            """INSERT INTO campaigns_campaign (id, slug, name, carrier, strategy, decoys_per_node,
                label_template,
                   starts_at, ends_at, status, created_by, created_at, activated_at, plan_report,
                       decoys_expected,
                   decoys_issued, issue_error, issue_spec)
               VALUES (%s, %s, %s, 'sf', 'route', %s, '76x130', now() - interval '60 days',
                   now() + interval '120 days', %s, 'bench', now() - (%s || ' days')::interval,
                   now() - interval '59 days', '{}', %s, %s, '', '{}')""",
            (index, slug, name, max(1, decoys // 9000), status, 10 - index, decoys, decoys),
        )
    # Numbers 1..1800 serve the national campaign, the rest the three small ones.
    _step(
        conn,
        "canary numbers",
        """INSERT INTO phones_canarynumber (id, e164, provider, provider_sid, status, notes,
            created_at, campaign_id)
           SELECT i, '+86138' || lpad(i::text, 8, '0'), 'manual', '', 'assigned', '', now(),
                  CASE WHEN i <= 1800 THEN 1 ELSE 2 + (i - 1801) % 3 END
           FROM generate_series(1, %s) AS i""",
        (NUMBERS,),
    )
    _step(
        conn,
        "number assignments",
        """INSERT INTO phones_numberassignment (assigned_at, campaign_id, number_id)
           SELECT now() - interval '59 days', campaign_id, id FROM phones_canarynumber""",
    )
    # Targets: the national campaign seeds every depot and courier, the small ones a slice.
    _step(
        conn,
        "campaign targets",
        f"""INSERT INTO campaigns_campaigntarget (campaign_id, node_id, codeword)
            SELECT c, n, jsonb_build_array('+86138' || lpad((1 + n % 1800)::text, 8, '0'))
            FROM generate_series(1, 4) AS c
            CROSS JOIN generate_series({DEPOTS[0]}, {COURIERS[0] + COURIERS[1] - 1}) AS n
            WHERE c = 1 OR n % 9 = c""",
    )


def _decoys(conn: psycopg.Connection) -> None:
    first_id = 1
    for index, (slug, _name, _status, count) in enumerate(CAMPAIGNS, start=1):
        numbers = (1, 1800) if index == 1 else (1801 + index - 2, 1801 + index - 2)
        step = 1 if index == 1 else 3
        _step(
            conn,
            f"decoys {slug}",
            f"""INSERT INTO campaigns_decoy (id, campaign_id, target_id, waybill_no, carrier,
                recipient_name, name_key,
                    recipient_phone, number_id, province, city, recipient_address, address_token,
                        item_category,
                    item_description, declared_value, weight_kg, sender_name, sender_phone, sender_address,
                    sort_code, origin_id, destination_id, shipped_at, is_control, label_printed, created_at)
                SELECT d, %s, t, 'SF' || lpad(d::text, 13, '0'), 'sf', '王' || d, '王*' || (d % 10),
                       '138' || lpad(num::text, 8, '0'), num, '浙江省', '杭州市',
                       '西湖区文三路' || d || '号', 'R' || d || 'X', 'phone', '手机', 1999, 0.45,
                       '某某旗舰店', '0571' || lpad((d % 10000000)::text, 8, '0'),
                       '杭州市余杭区', '571-' || (d % 97),
                       NULL, NULL, now() - interval '58 days' + (d % 5000) * interval '1 minute',
                       d % 50 = 0, '', now() - interval '59 days'
                FROM (
                    SELECT d, {DEPOTS[0]} + (d * {step}) % {DEPOTS[1] + COURIERS[1]} AS t,
                           %s + d % %s AS num
                    FROM generate_series(%s, %s) AS d
                ) AS g""",
            (index, numbers[0], numbers[1] - numbers[0] + 1, first_id, first_id + count - 1),
        )
        first_id += count


def _exposures(conn: psycopg.Connection) -> None:
    """Nine hops per exposed decoy: merchant, pickup courier, origin depot (label and system),
    two hubs, destination depot (label and system), delivery courier; the target is on the path."""
    depots, couriers = DEPOTS, COURIERS
    _step(
        conn,
        "exposures",
        f"""INSERT INTO campaigns_exposure (decoy_id, node_id, channel, visible_from, visible_until)
            SELECT r.id,
                   CASE h WHEN 0 THEN {MERCHANTS[0]} + r.id % {MERCHANTS[1]}
                          WHEN 1 THEN r.pc WHEN 2 THEN r.od WHEN 3 THEN r.od
                          WHEN 4 THEN {HUBS[0]} + (r.od - {depots[0]}) % {HUBS[1]}
                          WHEN 5 THEN {HUBS[0]} + (r.dd - {depots[0]}) % {HUBS[1]}
                          WHEN 6 THEN r.dd WHEN 7 THEN r.dd
                          ELSE {couriers[0]} + (r.dd - {depots[0]}) + {depots[1]} * ((r.id / 3) % 2) END,
                   CASE WHEN h IN (0, 3, 5, 7) THEN 'system' ELSE 'label' END,
                   r.shipped_at + h * interval '5 hours', NULL
            FROM (
                SELECT d.id, d.shipped_at,
                       CASE WHEN d.target_id < {couriers[0]} THEN d.target_id
                            ELSE {depots[0]} + (d.target_id - {couriers[0]}) % {depots[1]} END AS od,
                       CASE WHEN d.target_id >= {couriers[0]} THEN d.target_id
                            ELSE {couriers[0]} + (d.target_id - {depots[0]}) END AS pc,
                       {depots[0]} + ((CASE WHEN d.target_id < {couriers[0]} THEN d.target_id - {depots[0]}
                            ELSE (d.target_id - {couriers[0]}) % {depots[1]} END)
                            + 1 + (d.id * 7) % ({depots[1]} - 1)) % {depots[1]} AS dd
                FROM campaigns_decoy d WHERE NOT d.is_control
            ) AS r CROSS JOIN generate_series(0, 8) AS h""",
    )


def _watch_rows(conn: psycopg.Connection) -> None:
    _step(
        conn,
        "contacts",
        """INSERT INTO phones_contact (id, provider, provider_sid, kind, source, from_number,
            to_number, received_at,
               stored_at, body, media_urls, caller_geo, call_status, recording_sid, recording_url, transcript,
               transcript_status, raw, processing_attempts, processed_at, signal_strength,
                   number_id, anomalies,
               claimed_by)
           SELECT i, 'manual', 'bench-' || i, CASE WHEN i % 3 = 0 THEN 'call' ELSE 'sms' END, 'webhook',
                  '+86139' || lpad(i::text, 8, '0'), '+86138' || lpad((1 + i % 1800)::text, 8, '0'),
                  now() - (%s - i) * interval '2 minutes', now() - (%s - i) * interval '2 minutes',
                  '您的快递丢失，双倍理赔请回电', '[]', '{}', '', '', '', '', '', '{}', 1,
                  now() - (%s - i) * interval '2 minutes', 0.9, 1 + i % 1800, '[]', ''
           FROM generate_series(1, %s) AS i""",
        (CONTACTS, CONTACTS, CONTACTS, CONTACTS),
    )
    _step(
        conn,
        "contact matches (every decoy of the number)",
        """INSERT INTO phones_contact_matched_decoys (contact_id, decoy_id)
           SELECT c.id, d.id FROM phones_contact c JOIN campaigns_decoy d ON d.number_id = c.number_id
           WHERE c.id > %s""",
        (CONTACTS - MATCHED_CONTACTS,),
    )
    _step(
        conn,
        "documents",
        """INSERT INTO sightings_document (id, sha256, file, name, size, content_type, fetched_at,
            status, error,
               chunks_total, chunks_finished, updated_at)
           SELECT i, lpad(to_hex(i), 64, '0'), 'documents/bench-' || i || '.csv',
               'dump-' || i || '.csv', 1048576,
                  'text/csv', now() - (%s - i) * interval '1 hour', 'done', '', 1, '[0]', now()
           FROM generate_series(1, %s) AS i""",
        (DOCUMENTS, DOCUMENTS),
    )
    _step(
        conn,
        "sightings",
        """INSERT INTO sightings_sighting (id, kinds, strength, candidates, location, excerpt,
            signalled, created_at,
               decoy_id, document_id, campaign_id, evidence_key)
           SELECT i, '["waybill", "phone"]', CASE WHEN i % 4 = 0 THEN 'weak' ELSE 'strong' END, '[]',
                  'line ' || i, 'SF' || lpad((i * 19)::text, 13, '0') || ',王…', true,
                  now() - (%s - i) * interval '1 minute', i * 19, 1 + i % %s, 1, 'decoy:' || (i * 19)
           FROM generate_series(1, %s) AS i""",
        (SIGHTINGS, DOCUMENTS, SIGHTINGS),
    )
    _step(
        conn,
        "signals",
        """INSERT INTO attribution_signal (id, kind, dedupe_key, first_seen_at, last_seen_at,
            occurrences, strength,
               full_phone_of_privacy_label, origin, summary, created_at, campaign_id)
           SELECT i, CASE WHEN i % 10 = 0 THEN 'sms' ELSE 'dump' END, 'bench:' || i,
                  now() - (%s - i) * interval '10 minutes',
                      now() - (%s - i) * interval '10 minutes', 1, 0.9, false,
                  'bench', '样本信号 ' || i, now(), 1
           FROM generate_series(1, %s) AS i""",
        (SIGNALS, SIGNALS, SIGNALS),
    )
    # A dump signal names one decoy; an SMS signal every decoy of its number (about 550).
    _step(
        conn,
        "signal decoys",
        """INSERT INTO attribution_signal_decoys (signal_id, decoy_id)
           SELECT s.id, (s.id * 197) % 1000000 + 1 FROM attribution_signal s WHERE s.kind = 'dump'
           UNION ALL
           SELECT s.id, d.id FROM attribution_signal s
           JOIN campaigns_decoy d ON d.number_id = 1 + s.id % 1800 AND d.campaign_id = 1
           WHERE s.kind = 'sms'""",
    )
    _step(
        conn,
        "incidents",
        """INSERT INTO alerts_incident (id, title, state, severity, posterior, snapshot, opened_at,
            last_activity_at,
               campaign_id, node_id)
           SELECT i, '疑似泄露 ' || i, (ARRAY['new', 'investigating', 'closed', 'false_positive'])[1 + i % 4],
                  2, 0.9, '{}', now() - (%s - i) * interval '1 hour', now() - (%s - i) * interval '1 hour',
                  1 + i % 4, 232 + i % 9000
           FROM generate_series(1, %s) AS i""",
        (INCIDENTS, INCIDENTS, INCIDENTS),
    )


def _audit(conn: psycopg.Connection) -> None:
    _step(
        conn,
        "audit events",
        """INSERT INTO audit_auditevent (at, actor, action, object_type, object_id, ip, detail, user_id)
           SELECT now() - (%s - i) * interval '3 seconds', 'analyst' || (i % 20),
                  (ARRAY['decoys.view', 'campaign.view', 'api.decoys.list',
                      'sightings.sightings.view'])[1 + i % 4],
                  'campaign', (1 + i % 4)::text, '10.0.0.1', '{"page": 1}', NULL
           FROM generate_series(1, %s) AS i""",
        (AUDIT_EVENTS, AUDIT_EVENTS),
    )
