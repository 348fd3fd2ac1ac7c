"""Load benchmark: whole conversations through the REST channel, the assistant against Rasa's starter bot,
and the assistant's production mode with one and with two instances behind nginx.

Usage: .venvs/rasa/bin/python -m bench.load [--concurrency 1,10,50,100] [--bots ours,starter]
           [--turns-per-visitor 24] [--min-turns 240] [--time-limit 300] [--our-train-seconds S]
       .venvs/rasa/bin/python -m bench.load --mode production [--instances 1,2] [--concurrency 10,50,100]
(Started with another interpreter, e.g. .venvs/actions/bin/python, it re-runs itself with Rasa's
environment, which has aiohttp, matplotlib and redis; the lead store is migrated with the action server's
environment, as `make migrate` does. Needs models/leadbot.tar.gz; never trains it.)

The default mode (--mode compare), in one run on this machine:
* starts the assistant's real stack (integrations/runtime/stack.py: Rasa with models/leadbot.tar.gz, action
  server, dispatcher) on free loopback ports, with temporary SQLite lead and tracker databases and a
  random RASA_TOKEN; Rasa calls the action server through bench/action_timing_proxy.py, which times
  every call; the REST channel's rate limits keep their defaults (30 messages a minute per sender,
  loopback exempt from the per-IP limit), and every conversation has its own sender;
* trains once (cached in var/bench/starter/) and starts plain Rasa's starter bot (bench/starter_bot.py);
* for each concurrency level N and each bot: N visitors play whole conversations back to back, with no
  think time, until the level's conversations are done or its time limit has passed. A level has
  enough conversations for N x --turns-per-visitor turns and at least --min-turns, so both bots get
  as many turns (ours: a typed 12-turn sales-qualified conversation with a side question and a unique
  email, twice per visitor by default; the starter: the 4-turn sad path of its stories, six times);
* measures per-turn latency p50/p95/p99 (and separately each visitor's first turn, which opens its
  connection: visitors start over --ramp-up seconds, and a saturated Rasa accepts new connections
  slowly), throughput (turns answered / wall time of the level), errors (HTTP status not 200, an
  empty reply, or the polite technical-problem or lead-not-saved answer),
  peak RSS and CPU seconds of each server process with its children (from /proc, every 0.2 s), the
  CPU that other processes on the machine used meanwhile, and the action server's time per call;
* writes bench/results/load.json and bench/results/load_latency.png and prints a markdown table.

--mode production (docs/production.md), for each --instances count, all stacks up for the whole run:
* starts integrations/runtime/production.py's ProductionStack on free ports: nginx (round robin, keepalive to the
  upstreams) in front of that many Rasa servers, action servers and dispatchers, with throw-away
  PostgreSQL databases for the tracker and lead stores (CREATE DATABASE on TEST_POSTGRES_URL, default
  postgresql+psycopg2://postgres@127.0.0.1:5432/postgres; dropped WITH (FORCE) afterwards), the atomic
  Redis lock store under a unique key prefix (its keys deleted afterwards), and random tokens; the lead
  store is migrated by the actions interpreter (Alembic is not in Rasa's environment);
* drives our conversation through nginx's public port (POST /webhooks/rest/webhook), level by level,
  each stack in turn, with the same figures as above; CPU per process (nginx, each Rasa, action server
  and dispatcher, and the PostgreSQL and Redis servers as a whole, counting exited PostgreSQL backends),
  and from nginx's access log the messages each Rasa server took and the action calls' request time;
* writes bench/results/load_production.json (with the scaling ratios at 50 and 100 visitors: throughput
  and p95 of the larger instance count over the smaller) and load_production.png, and prints tables.
"""
