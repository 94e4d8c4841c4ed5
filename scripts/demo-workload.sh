#!/usr/bin/env bash
# demo-workload.sh: the shop schema and the live workload of `make demo`.
#
#   demo-workload.sh schema DSN
#       Create customers, products, product_docs (a large text column kept
#       out of line, so TOAST shows up), orders and order_items in the
#       database DSN names, and seed a few hundred rows.
#
#   demo-workload.sh run DSN DIR MINUTES MIGRATE_AFTER [WATCH_PID]
#       Three concurrent writers (orders, customers, catalog), each one psql
#       session fed a transaction every 0.2-0.7 s.  After MIGRATE_AFTER
#       seconds one migration adds customers.loyalty_points and the table
#       reviews; from then on the writers use the column and a fourth writer
#       fills reviews.  Everything stops by itself after MINUTES, or as soon
#       as WATCH_PID is gone.  Logs go to DIR (one file per writer).
#
# scripts/demo.sh runs it; it is not meant to be run against a real database.

set -u

usage() {
	echo "usage: $0 schema DSN" >&2
	echo "       $0 run DSN DIR MINUTES MIGRATE_AFTER [WATCH_PID]" >&2
	exit 2
}

export PGCLIENTENCODING=UTF8

# Names with non-ASCII letters and a quote, so the history shows both.
FIRST=(Ana Ben Chloé Dmitri Emma Farid Grace Hiro Ines José Kofi Lena
	Mateo Nora Omar Priya Quinn Rosa Sven Zoë)
LAST=(Silva Okafor Müller Tanaka "O''Brien" Novak Haddad Larsen Costa
	Kowalski Nguyen Rossi Bjørnsen Dubois Moreau Patel Schmidt Ward)
CITY=(Lisbon Lagos Berlin Osaka Dublin Prague Beirut Oslo Porto Kraków
	Hanoi Turin)
# shellcheck disable=SC2034  # pick reads it by name
VERDICT=(Solid Flimsy Great Loud Handy Pricey Lovely Sturdy)
WORDS="'alpha','bravo','cable','delta','engine','filter','gasket','handle',
'input','joint','kernel','lever','module','nozzle','output','piston','quartz',
'rotor','sensor','torque','valve','washer','yoke','zinc'"

# A few kB of words: with STORAGE EXTERNAL it always lands in TOAST.
# $1 correlates the subquery with the outer row, so each row gets its own.
doc_body() {
	echo "(SELECT string_agg((ARRAY[$WORDS])[1 + floor(random() * 24)::int], ' ')
	    FROM generate_series(1, 600 + ($1) % 7))"
}

pick() { local -n a=$1; printf '%s' "${a[RANDOM % ${#a[@]}]}"; }

do_schema() {
	local dsn=$1
	psql -X -q -v ON_ERROR_STOP=1 "$dsn" <<SQL
CREATE TABLE customers (
	id		serial PRIMARY KEY,
	name		text NOT NULL,
	email		text NOT NULL UNIQUE,
	city		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE products (
	id		serial PRIMARY KEY,
	sku		text NOT NULL UNIQUE,
	name		text NOT NULL,
	price		numeric(10,2) NOT NULL CHECK (price > 0),
	stock		int NOT NULL DEFAULT 0
);
CREATE TABLE product_docs (
	product_id	int PRIMARY KEY REFERENCES products ON DELETE CASCADE,
	revision	int NOT NULL DEFAULT 1,
	summary		text NOT NULL,
	body		text NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE product_docs ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE TABLE orders (
	id		serial PRIMARY KEY,
	customer_id	int NOT NULL REFERENCES customers,
	status		text NOT NULL DEFAULT 'pending'
			CHECK (status IN ('pending', 'paid', 'shipped', 'delivered')),
	total		numeric(12,2) NOT NULL DEFAULT 0,
	placed_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz
);
CREATE INDEX ON orders (customer_id);
CREATE TABLE order_items (
	order_id	int NOT NULL REFERENCES orders ON DELETE CASCADE,
	product_id	int NOT NULL REFERENCES products,
	quantity	int NOT NULL CHECK (quantity > 0),
	unit_price	numeric(10,2) NOT NULL,
	PRIMARY KEY (order_id, product_id)
);

INSERT INTO customers (name, email, city)
SELECT f || ' ' || l,
       lower(f || '.' || replace(l, '''', '') || '.' || g) || '@example.com', c
FROM generate_series(1, 200) g,
     LATERAL (SELECT (ARRAY[$(printf "'%s'," "${FIRST[@]}" | sed 's/,$//')])[1 + g % ${#FIRST[@]}] AS f,
                     (ARRAY[$(printf "'%s'," "${LAST[@]}" | sed 's/,$//')])[1 + (g * 7) % ${#LAST[@]}] AS l,
                     (ARRAY[$(printf "'%s'," "${CITY[@]}" | sed 's/,$//')])[1 + (g * 5) % ${#CITY[@]}] AS c) n;

INSERT INTO products (sku, name, price, stock)
SELECT 'SKU-' || lpad(g::text, 4, '0'),
       (ARRAY['Compact','Heavy','Quiet','Smart','Steel','Travel'])[1 + g % 6] || ' ' ||
       (ARRAY['kettle','lamp','drill','backpack','speaker','chair','grinder','clock','fan','router'])[1 + g % 10],
       (3 + (g * 37) % 200) + 0.99, 10 + (g * 11) % 50
FROM generate_series(1, 60) g;

INSERT INTO product_docs (product_id, summary, body)
SELECT id, 'Manual for ' || name || ', revision 1', $(doc_body id)
FROM products;

INSERT INTO orders (customer_id, status, placed_at)
SELECT 1 + (g * 13) % 200,
       (ARRAY['delivered','delivered','shipped','paid','pending'])[1 + g % 5],
       now() - (300 - g) * interval '17 minutes'
FROM generate_series(1, 300) g;

INSERT INTO order_items (order_id, product_id, quantity, unit_price)
SELECT o.id, p.id, 1 + (o.id + j) % 3, p.price
FROM orders o, generate_series(1, 3) j, products p
WHERE j <= 1 + o.id % 3 AND p.id = 1 + (o.id * 7 + j * 17) % 60;

UPDATE orders o SET total = s.total
FROM (SELECT order_id, sum(quantity * unit_price) AS total
      FROM order_items GROUP BY order_id) s
WHERE o.id = s.order_id;
SQL
}

# --- the run -------------------------------------------------------------

deadline=0
watch_pid=""
migrated_flag=""

alive() {
	local now
	printf -v now '%(%s)T' -1
	[ "$now" -lt "$deadline" ] || return 1
	[ -z "$watch_pid" ] || kill -0 "$watch_pid" 2>/dev/null
}

migrated() { [ -e "$migrated_flag" ]; }

# A pace a person can follow: 0.2 to 0.7 s between transactions.
pause() { sleep "0.$((2 + RANDOM % 6))"; }

random_customer="(SELECT id FROM customers ORDER BY random() LIMIT 1)"
random_product="(SELECT id FROM products ORDER BY random() LIMIT 1)"

writer_orders() {
	while alive; do
		case $((RANDOM % 10)) in
		0 | 1 | 2 | 3)	# a new order with one to three items
			echo "BEGIN;
INSERT INTO orders (customer_id) VALUES ($random_customer);
INSERT INTO order_items (order_id, product_id, quantity, unit_price)
  SELECT currval('orders_id_seq'), id, $((1 + RANDOM % 3)), price
  FROM products ORDER BY random() LIMIT $((1 + RANDOM % 3));
UPDATE orders SET total = (SELECT sum(quantity * unit_price)
  FROM order_items WHERE order_id = orders.id)
  WHERE id = currval('orders_id_seq');
COMMIT;" ;;
		4 | 5 | 6)	# an order moves on; delivery earns points
			local step="UPDATE orders SET status = CASE status
    WHEN 'pending' THEN 'paid' WHEN 'paid' THEN 'shipped' ELSE 'delivered' END,
  updated_at = now()
  WHERE id = (SELECT id FROM orders WHERE status <> 'delivered'
              ORDER BY random() LIMIT 1)"
			if migrated; then
				echo "WITH o AS ($step RETURNING customer_id, status, total)
UPDATE customers c SET loyalty_points = loyalty_points + floor(o.total / 10)::int
  FROM o WHERE c.id = o.customer_id AND o.status = 'delivered';"
			else
				echo "$step;"
			fi ;;
		7)	# one more of an item in a pending order
			echo "WITH i AS (UPDATE order_items t SET quantity = t.quantity + 1
  FROM (SELECT order_id, product_id FROM order_items
        JOIN orders ON orders.id = order_id WHERE status = 'pending'
        ORDER BY random() LIMIT 1) s
  WHERE t.order_id = s.order_id AND t.product_id = s.product_id
  RETURNING t.order_id, t.unit_price)
UPDATE orders SET total = total + i.unit_price, updated_at = now()
  FROM i WHERE orders.id = i.order_id;" ;;
		8)	# a pending order is cancelled: its items go with it
			echo "DELETE FROM orders WHERE id = (SELECT id FROM orders
  WHERE status = 'pending' ORDER BY random() LIMIT 1);" ;;
		9)	# the warehouse ships a batch
			echo "UPDATE orders SET status = 'shipped', updated_at = now()
  WHERE id IN (SELECT id FROM orders WHERE status = 'paid' ORDER BY id LIMIT 4);" ;;
		esac
		pause
	done
}

writer_customers() {
	local f l c
	while alive; do
		f=$(pick FIRST) l=$(pick LAST) c=$(pick CITY)
		case $((RANDOM % 10)) in
		0 | 1 | 2 | 3)	# sign-up
			echo "INSERT INTO customers (name, email, city) VALUES ('$f $l',
  lower('$f.${l//\'/}.' || to_hex((random() * 2^31)::int)) || '@example.com', '$c');" ;;
		4 | 5 | 6)	# moves house
			echo "UPDATE customers SET city = '$c' WHERE id = $random_customer;" ;;
		7)	# new e-mail address
			echo "UPDATE customers SET email = lower(replace(replace(name, ' ', '_'),
  '''', '') || '.' || to_hex((random() * 2^31)::int)) || '@example.net'
  WHERE id = $random_customer;" ;;
		8)	# a customer who never ordered leaves
			echo "DELETE FROM customers WHERE id = (SELECT id FROM customers c
  WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)
  ORDER BY random() LIMIT 1);" ;;
		9)	# a promotion for one city, once the column exists
			if migrated; then
				echo "UPDATE customers SET loyalty_points = loyalty_points + 25
  WHERE city = '$c';"
			else
				echo "UPDATE customers SET name = '$f $l' WHERE id = $random_customer;"
			fi ;;
		esac
		pause
	done
}

writer_catalog() {
	while alive; do
		case $((RANDOM % 10)) in
		0 | 1 | 2)	# a price change
			echo "UPDATE products SET price = round(price * (0.9 + random() * 0.2)::numeric, 2)
  WHERE id = $random_product;" ;;
		3)	# restock the emptiest shelf
			echo "UPDATE products SET stock = stock + $((10 + RANDOM % 30))
  WHERE id = (SELECT id FROM products ORDER BY stock LIMIT 1);" ;;
		4 | 5)	# a doc edit that leaves the big body alone (unchanged TOAST)
			echo "UPDATE product_docs SET revision = revision + 1, updated_at = now(),
  summary = regexp_replace(summary, 'revision [0-9]+$', 'revision ' || (revision + 1))
  WHERE product_id = $random_product;" ;;
		6)	# a doc rewrite: a new big body
			echo "UPDATE product_docs SET revision = revision + 1, updated_at = now(),
  summary = regexp_replace(summary, 'revision [0-9]+$', 'revision ' || (revision + 1)),
  body = $(doc_body product_id)
  WHERE product_id = $random_product;" ;;
		7)	# a new product and its manual, in one transaction
			echo "BEGIN;
INSERT INTO products (sku, name, price, stock)
  VALUES ('NEW-' || upper(to_hex((random() * 2^31)::int)), 'Limited $(pick CITY) edition',
          $((5 + RANDOM % 90)).50, $((RANDOM % 20)));
INSERT INTO product_docs (product_id, summary, body)
  SELECT id, 'Manual for ' || name || ', revision 1', $(doc_body id)
  FROM products WHERE id = currval('products_id_seq');
COMMIT;" ;;
		8 | 9)	# a sale on a handful of products
			echo "UPDATE products SET price = greatest(1, round(price * 0.85, 2))
  WHERE id % 9 = $((RANDOM % 9));" ;;
		esac
		pause
	done
}

writer_reviews() {
	while alive; do
		case $((RANDOM % 10)) in
		0 | 1 | 2 | 3 | 4)
			echo "INSERT INTO reviews (product_id, customer_id, rating, body)
  VALUES ($random_product, $random_customer, $((1 + RANDOM % 5)),
          '$(pick VERDICT) and $(pick VERDICT), would buy again in $(pick CITY)');" ;;
		5 | 6 | 7)
			echo "UPDATE reviews SET rating = least(5, rating + 1), body = body || ' (edited)'
  WHERE id = (SELECT id FROM reviews ORDER BY random() LIMIT 1);" ;;
		8 | 9)
			echo "DELETE FROM reviews WHERE id = (SELECT id FROM reviews
  ORDER BY random() LIMIT 1);" ;;
		esac
		pause
	done
}

migrate() {
	psql -X -q -v ON_ERROR_STOP=1 "$1 application_name=demo-migration" <<'SQL'
SET lock_timeout = '5s';
BEGIN;
ALTER TABLE customers ADD COLUMN loyalty_points int NOT NULL DEFAULT 0;
CREATE TABLE reviews (
	id		serial PRIMARY KEY,
	product_id	int NOT NULL REFERENCES products,
	customer_id	int NOT NULL REFERENCES customers ON DELETE CASCADE,
	rating		int NOT NULL CHECK (rating BETWEEN 1 AND 5),
	body		text,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON reviews (product_id);
COMMIT;
SQL
}

# start_writer NAME: one psql session fed by writer_NAME; errors (a rare
# deadlock or a race on a deleted row) are logged and the writer goes on.
start_writer() {
	writer_"$1" | psql -X -q "$dsn application_name=demo-$1" \
	    >>"$dir/$1.log" 2>&1 &
	echo "$(date +%T) writer $1 started"
}

do_run() {
	dsn=$1 dir=$2
	local minutes=$3 migrate_after=$4 now i
	watch_pid=${5:-}
	migrated_flag=$dir/migrated
	printf -v now '%(%s)T' -1
	deadline=$((now + minutes * 60))
	mkdir -p "$dir"

	start_writer orders
	start_writer customers
	start_writer catalog

	while alive && [ "$(printf '%(%s)T' -1)" -lt $((now + migrate_after)) ]; do
		sleep 1
	done
	if alive; then
		for i in 1 2 3 4 5; do
			if migrate "$dsn" >>"$dir/migration.log" 2>&1; then
				touch "$migrated_flag"
				echo "$(date +%T) migration applied"
				start_writer reviews
				break
			fi
			echo "$(date +%T) migration attempt $i failed (see migration.log)"
			sleep 1
		done
	fi
	wait
	echo "$(date +%T) workload finished"
}

case ${1:-} in
schema)	[ $# -eq 2 ] || usage; do_schema "$2" ;;
run)	if [ $# -lt 5 ] || [ $# -gt 6 ]; then usage; fi
	shift; do_run "$@" ;;
*)	usage ;;
esac
