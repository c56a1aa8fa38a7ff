#!/usr/bin/env bash
# test-dbs.sh — install (if missing) and start PostgreSQL and MariaDB on
# 127.0.0.1 for BotGate's database tests, create a test user and database in
# each, and print the environment the tests read:
#
#   eval "$(sudo scripts/test-dbs.sh)"
#   go test ./app/datasource/...
#
# Debian/Ubuntu, as root. Works without systemd (containers, CI): the servers
# are started with pg_ctlcluster and mysqld_safe directly. Running it again is
# harmless: what exists is kept, what is stopped is started.
# Progress goes to stderr; only the export lines go to stdout.
set -euo pipefail

TEST_USER=${BOTGATE_TEST_DB_USER:-botgate_test}
TEST_DB=${BOTGATE_TEST_DB_NAME:-botgate_test}
# Only ever reachable on 127.0.0.1, and only for tests.
TEST_PASS=${BOTGATE_TEST_DB_PASSWORD:-botgate_test_pw}
MYSQL_PORT=${BOTGATE_TEST_MYSQL_PORT:-3306}

say() { echo "test-dbs: $*" >&2; }
die() { echo "test-dbs: 错误 / error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "请用 root 运行（sudo $0） / run as root (sudo $0)"
case "$TEST_USER$TEST_DB$TEST_PASS" in
*[!A-Za-z0-9_]*) die "user, database and password may only use A-Z a-z 0-9 _" ;;
esac

# --- install what is missing --------------------------------------------------
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
{ command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ]; } || need+=(mariadb-server)
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# --- PostgreSQL ----------------------------------------------------------------
pg_ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
[ -n "$pg_ver" ] || die "PostgreSQL is installed but /usr/lib/postgresql is empty"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$pg_ver main"; then
	say "creating PostgreSQL $pg_ver cluster main"
	pg_createcluster --encoding=UTF8 --locale=C.UTF-8 "$pg_ver" main >&2
fi
pg_port=$(pg_lsclusters -h | awk -v v="$pg_ver" '$1==v && $2=="main" {print $3}')
if ! pg_lsclusters -h | awk -v v="$pg_ver" '$1==v && $2=="main" {print $4}' | grep -q online; then
	say "starting PostgreSQL $pg_ver on 127.0.0.1:$pg_port"
	pg_ctlcluster "$pg_ver" main start -- -o "-c listen_addresses=127.0.0.1" >&2
fi
for _ in $(seq 1 30); do
	runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$pg_port" && break
	sleep 1
done
runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$pg_port" || die "PostgreSQL did not start; see /var/log/postgresql/"
psql_root() { runuser -u postgres -- psql -q -X -v ON_ERROR_STOP=1 -p "$pg_port" "$@" >&2; }
psql_root -d postgres -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$TEST_USER') THEN CREATE ROLE $TEST_USER LOGIN; END IF;
END \$\$; ALTER ROLE $TEST_USER LOGIN PASSWORD '$TEST_PASS';"
if [ "$(runuser -u postgres -- psql -X -At -p "$pg_port" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$TEST_DB'")" != 1 ]; then
	say "creating PostgreSQL database $TEST_DB"
	psql_root -d postgres -c "CREATE DATABASE $TEST_DB OWNER $TEST_USER ENCODING 'UTF8' TEMPLATE template0"
fi

# --- MariaDB / MySQL -------------------------------------------------------------
mysqld_user=mysql
datadir=/var/lib/mysql
if [ ! -d "$datadir/mysql" ]; then
	say "initialising MariaDB data directory $datadir"
	install -d -o "$mysqld_user" -g "$mysqld_user" "$datadir"
	if command -v mariadb-install-db >/dev/null 2>&1; then
		mariadb-install-db --user="$mysqld_user" --datadir="$datadir" >&2
	else
		mysql_install_db --user="$mysqld_user" --datadir="$datadir" >&2
	fi
fi
install -d -o "$mysqld_user" -g "$mysqld_user" /run/mysqld
my_admin=$(command -v mariadb-admin || command -v mysqladmin)
my_client=$(command -v mariadb || command -v mysql)
if ! "$my_admin" --protocol=socket -uroot ping >/dev/null 2>&1; then
	say "starting MariaDB on 127.0.0.1:$MYSQL_PORT"
	nohup mysqld_safe --user="$mysqld_user" --datadir="$datadir" --bind-address=127.0.0.1 \
		--port="$MYSQL_PORT" >/var/log/botgate-test-mariadb.log 2>&1 </dev/null &
	for _ in $(seq 1 30); do
		"$my_admin" --protocol=socket -uroot ping >/dev/null 2>&1 && break
		sleep 1
	done
fi
"$my_admin" --protocol=socket -uroot ping >/dev/null 2>&1 || die "MariaDB did not start; see /var/log/botgate-test-mariadb.log"
MYSQL_PORT=$("$my_client" --protocol=socket -uroot -N -B -e "SELECT @@port")
"$my_client" --protocol=socket -uroot -e "
CREATE DATABASE IF NOT EXISTS $TEST_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASS';
CREATE USER IF NOT EXISTS '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASS';
ALTER USER '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASS';
ALTER USER '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASS';
GRANT ALL PRIVILEGES ON $TEST_DB.* TO '$TEST_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON $TEST_DB.* TO '$TEST_USER'@'localhost';
FLUSH PRIVILEGES;" >&2

say "ready: PostgreSQL $pg_ver on 127.0.0.1:$pg_port, MariaDB on 127.0.0.1:$MYSQL_PORT"
echo "export BOTGATE_TEST_PG_DSN='postgres://$TEST_USER:$TEST_PASS@127.0.0.1:$pg_port/$TEST_DB?sslmode=disable'"
echo "export BOTGATE_TEST_MYSQL_DSN='$TEST_USER:$TEST_PASS@tcp(127.0.0.1:$MYSQL_PORT)/$TEST_DB'"
