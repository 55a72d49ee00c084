#!/usr/bin/env python3
"""The ledger schema against deploy/SCALING.md (issue 9): Citus can distribute a table only if
every PRIMARY KEY and UNIQUE constraint includes its distribution column. Reads the distribution
column of each ledger table from SCALING.md's "Distribution per service" table and every unique
key from the ledger's migrations (services/ledger/schema/*.sql), and checks that each unique key
includes its table's column. A table whose column SCALING.md marks "see below" must be discussed
there by name; any other table the schema has and SCALING.md does not place is an error, so a new
table cannot slip in unplanned. Exit 0 when everything holds, 1 with the problems listed."""
import glob
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
scaling = open(os.path.join(root, "deploy", "SCALING.md"), encoding="utf-8").read()
schema = "\n".join(open(f, encoding="utf-8").read()
                   for f in sorted(glob.glob(os.path.join(root, "services", "ledger", "schema", "*.sql"))))
schema = re.sub(r"--[^\n]*", "", schema)  # comments

# | ledger | `accounts`, `balances`, `entries` | `account_id` | notes |
placed = {}  # table -> column, or None for "see below"
for line in scaling.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 3 or cells[0] != "ledger":
        continue
    tables = re.findall(r"`([a-z_]+)`", cells[1])
    column = re.findall(r"`([a-z_]+)`", cells[2])
    for table in tables:
        placed[table] = column[0] if column else None

problems = []
if not placed:
    problems.append("SCALING.md places no ledger table (no '| ledger | ... |' rows)")

unique_keys = {}  # table -> [columns...]
for match in re.finditer(r"CREATE TABLE (\w+) \((.*?)\n\);", schema, re.S):
    table, body = match.group(1), match.group(2)
    keys = []
    for key in re.finditer(r"(?:PRIMARY KEY|UNIQUE)\s*\(([^)]*)\)", body):
        keys.append([c.strip() for c in key.group(1).split(",")])
    for column in re.finditer(r"^\s*(\w+)\s+[^,\n]*\b(?:PRIMARY KEY|UNIQUE)\b", body, re.M):
        keys.append([column.group(1)])
    unique_keys[table] = keys
for match in re.finditer(r"CREATE UNIQUE INDEX \w+ ON (\w+) \(([^)]*)\)", schema):
    unique_keys.setdefault(match.group(1), []).append([c.strip() for c in match.group(2).split(",")])

if not unique_keys:
    problems.append("no CREATE TABLE found in services/ledger/schema/*.sql")
checked = 0
for table, keys in sorted(unique_keys.items()):
    if table not in placed:
        problems.append(f"{table}: not placed in SCALING.md's distribution table")
        continue
    column = placed[table]
    if column is None:
        if scaling.count(f"`{table}`") < 2:
            problems.append(f"{table}: marked 'see below' but not discussed further in SCALING.md")
        else:
            print(f"exception {table}: keys {keys}, discussed in SCALING.md")
        continue
    for key in keys:
        checked += 1
        if column not in key:
            problems.append(f"{table}: unique key ({', '.join(key)}) lacks its distribution column {column}")
        else:
            print(f"ok {table}: ({', '.join(key)}) includes {column}")
for table in sorted(placed):
    if table not in unique_keys:
        problems.append(f"SCALING.md places {table}, which the ledger schema does not have")

for problem in problems:
    print(f"PROBLEM {problem}")
print(f"{checked} unique keys checked, {len(problems)} problems")
sys.exit(1 if problems or checked == 0 else 0)
