#!/usr/bin/python3
"""Generate the demo's sample data: examples/customer_orders.csv and
examples/customers.csv.

Deterministic (stdlib only, seeded random.Random(20261127)): running it again
writes the same bytes, so the committed CSVs can be regenerated and diffed.

    /usr/bin/python3 examples/generate_customer_orders.py

customers.csv        id,name,email                  800 customers, ids 1..800
customer_orders.csv  order_id,customer_id,status,amount,currency,ordered_at,email,region
                     5000 orders placed over the 30 days before
                     2026-11-27T12:00:00Z, the newest within an hour of it.

Deliberate defects, so the demo's checks have something to find (see
examples/customer_orders.yml and the README):

  - 2 rows reuse the order_id of another row: 2 duplicated order_ids, 4 rows
    flagged by `unique: order_id` (GE flags every copy), which FAILS that
    check: it has no `mostly`;
  - 3 negative amounts (refunds keyed in as orders);
  - 4 rows with status 'unknown';
  - 2 malformed emails (no '@'; no top-level domain);
  - about 2% of the rows have no region (NULL, an empty CSV field).

Every other check of the policy passes (the defects stay under its `mostly`
thresholds), so the demo certifies at tier medium with one failed check.
"""

import csv
import datetime as dt
import os
import random

SEED = 20261127
N_CUSTOMERS = 800
N_ORDERS = 5000
ANCHOR = dt.datetime(2026, 11, 27, 12, 0, 0, tzinfo=dt.timezone.utc)
WINDOW = dt.timedelta(days=30)

STATUSES = ["pending", "shipped", "delivered", "cancelled", "returned"]
STATUS_WEIGHTS = [10, 20, 55, 8, 7]
CURRENCIES = ["EUR", "USD", "GBP"]
CURRENCY_WEIGHTS = [50, 35, 15]
REGIONS = ["north", "south", "east", "west"]

FIRST = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances",
         "John", "Margaret", "Niklaus", "Radia", "Tony", "Leslie", "Shafi",
         "Ken", "Dennis", "Sophie", "Tim", "Hedy", "Claude", "Lin", "Mei",
         "Priya", "Omar", "Yara", "Jonas", "Ines", "Kofi", "Sven", "Aiko"]
LAST = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth",
        "Allen", "Backus", "Hamilton", "Wirth", "Perlman", "Hoare", "Lamport",
        "Goldwasser", "Thompson", "Ritchie", "Wilson", "Berners-Lee", "Lamarr",
        "Shannon", "Chen", "Wang", "Patel", "Haddad", "Nasser", "Berg",
        "Garcia", "Mensah", "Larsen", "Tanaka"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example"]

HERE = os.path.dirname(os.path.abspath(__file__))


def iso(ts):
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    rng = random.Random(SEED)

    # Customers: ids 1..800, each with a unique, well-formed address.
    customers = []
    for cid in range(1, N_CUSTOMERS + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = "%s.%s%d" % (first.lower(), last.lower().replace("-", ""), cid)
        customers.append((cid, "%s %s" % (first, last),
                          "%s@%s" % (local, rng.choice(DOMAINS))))

    # Orders: ids 1..5000 in shuffled order.
    order_ids = list(range(1, N_ORDERS + 1))
    rng.shuffle(order_ids)
    window_s = int(WINDOW.total_seconds())
    rows = []
    for oid in order_ids:
        cust = customers[rng.randrange(N_CUSTOMERS)]
        # 3600 s .. 30 days before the anchor; the newest is pinned below.
        ordered_at = ANCHOR - dt.timedelta(seconds=rng.randint(3600, window_s))
        rows.append({
            "order_id": oid,
            "customer_id": cust[0],
            "status": rng.choices(STATUSES, STATUS_WEIGHTS)[0],
            "amount": "%.2f" % (rng.randint(500, 50000) / 100),
            "currency": rng.choices(CURRENCIES, CURRENCY_WEIGHTS)[0],
            "ordered_at": ordered_at,
            "email": cust[2],
            "region": rng.choice(REGIONS),
        })

    # The newest order lands within an hour of the anchor (and not after it).
    rows[rng.randrange(N_ORDERS)]["ordered_at"] = \
        ANCHOR - dt.timedelta(seconds=rng.randint(60, 3000))

    # --- deliberate defects; every defect hits a different row ---
    victims = rng.sample(range(N_ORDERS), 2 + 3 + 4 + 2)
    dup, neg, unknown, bad_email = (victims[0:2], victims[2:5],
                                    victims[5:9], victims[9:11])
    others = [i for i in range(N_ORDERS) if i not in victims]
    # two duplicated order_ids: each of these rows takes another row's id
    for i, j in zip(dup, rng.sample(others, 2)):
        rows[i]["order_id"] = rows[j]["order_id"]
    # three negative amounts
    for i in neg:
        rows[i]["amount"] = "-%.2f" % (rng.randint(500, 20000) / 100)
    # four statuses outside the accepted list
    for i in unknown:
        rows[i]["status"] = "unknown"
    # two malformed emails: no '@', and no top-level domain
    rows[bad_email[0]]["email"] = rows[bad_email[0]]["email"].replace("@", ".at.")
    rows[bad_email[1]]["email"] = rows[bad_email[1]]["email"].split("@")[0] + "@localhost"
    # about 2% of the regions missing (NULL: an empty, unquoted CSV field)
    for r in rows:
        if rng.random() < 0.02:
            r["region"] = None

    with open(os.path.join(HERE, "customers.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name", "email"])
        w.writerows(customers)

    cols = ["order_id", "customer_id", "status", "amount", "currency",
            "ordered_at", "email", "region"]
    with open(os.path.join(HERE, "customer_orders.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            r = dict(r, ordered_at=iso(r["ordered_at"]))
            w.writerow(["" if r[c] is None else r[c] for c in cols])


if __name__ == "__main__":
    main()
