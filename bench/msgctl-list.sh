#!/usr/bin/env bash
# `msgctl list` on a database of $CONVERSATIONS conversations (10 messages each), on the first page, a middle one and
# the last one, beside psql running the same two statements (count and that page) as the reference, in the same run.
#
#   bench/msgctl-list.sh        CONVERSATIONS=100000 RUNS=30 by default
conversations=${CONVERSATIONS:-100000}
runs=${RUNS:-30}
bench_products=(msgctl)
source "$(dirname "$0")/lib.sh"
start_cluster
psql=/usr/bin/psql
"$bin/msgctl" db migrate >/dev/null
"$bin/msgctl" user add --username admin --display-name Admin --admin >/dev/null
"$psql" -q "$DATABASE_URL" <<SQL
INSERT INTO users (username, display_name, slug)
SELECT 'user' || g, 'User ' || g, 'user' || g FROM generate_series(1, $conversations) g;
INSERT INTO conversations (user_id) SELECT id FROM users WHERE NOT is_admin;
INSERT INTO messages (conversation_id, sender_id, content, created_at)
SELECT c.id, c.user_id, 'message ' || g || ' from ' || u.username, now() - (g || ' minutes')::interval
FROM conversations c JOIN users u ON u.id = c.user_id, generate_series(1, 10) g;
VACUUM ANALYZE;
SQL

# list_sql PAGE: the statements msgctl list runs for that page (20 a page), as psql runs them.
list_sql() {
    cat <<SQL
BEGIN;
SELECT count(*) FROM conversations c WHERE c.archived_by_admin = false;
SELECT set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true), set_config('jit', 'off', true);
SELECT c.id, c.user_id, c.created_at, c.updated_at, c.last_message_at, c.unread_count_user, c.unread_count_admin,
       c.archived_by_admin, c.archived_at, u.id, u.username, u.display_name, u.slug, u.is_admin, u.created_at,
       (SELECT left(m.content, 100) FROM messages m WHERE m.conversation_id = c.id AND m.deleted_at IS NULL
         ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS preview
FROM (SELECT c.id FROM conversations c WHERE c.archived_by_admin = false
      ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC LIMIT 20 OFFSET $((($1 - 1) * 20))) page
JOIN conversations c ON c.id = page.id JOIN users u ON u.id = c.user_id
ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC;
COMMIT;
SQL
}

# time_runs COMMAND...: median and p90 wall time in milliseconds over $runs runs (after one warm-up run).
time_runs() {
    "$@" >/dev/null
    for _ in $(seq "$runs"); do
        local start end
        start=$(date +%s%N)
        "$@" >/dev/null
        end=$(date +%s%N)
        echo $(((end - start) / 1000))
    done | sort -n | awk '{ a[NR] = $1 } END { printf "{\"median_ms\": %.1f, \"p90_ms\": %.1f}\n", a[int(NR / 2) + 1] / 1000, a[int(NR * 0.9)] / 1000 }'
}

echo "machine: $(nproc) cores; $conversations conversations; $runs runs each"
last=$(((conversations + 19) / 20))
for page in 1 $((last / 2)) "$last"; do
    list_sql "$page" >"$work/list.sql"
    echo "page $page, reference psql -f list.sql: $(time_runs "$psql" -X -q "$DATABASE_URL" -f "$work/list.sql")"
    echo "page $page, msgctl list:                 $(time_runs "$bin/msgctl" list --page "$page")"
    echo "page $page, msgctl list --json:          $(time_runs "$bin/msgctl" list --json --page "$page")"
done
