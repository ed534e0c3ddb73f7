"""Locust's side of benches/compare.sh, run (e): the flow of
scenarios/load/basic.yaml (GET /rest/api/space with Basic as alice, a 200 that
names alice in X-AUSERNAME) with FastHttpUser, Locust's fastest client.

Users wait for nothing between requests, as goose's and tollgate load's users
do. A request is a failure unless it is a 200 naming alice, as in the scenario.

COMPARE_SECONDS=N stops the run N seconds after every user is spawned. Locust's
own --run-time is not used: it is timed on gevent's loop clock, which is not
updated while Locust imports its modules, so on a busy machine the run ended
seconds early (2 s of a 5 s --run-time), or before the first request.
"""

import os

import gevent
from locust import FastHttpUser, constant, events, task

# alice:alice-pw, the mock's default user (the same header wrk sends).
BASIC = "Basic YWxpY2U6YWxpY2UtcHc="
ROUTE = "/rest/api/space"


_environment = None


@events.init.add_listener
def _keep_environment(environment, **_kwargs):
    global _environment
    _environment = environment


@events.spawning_complete.add_listener
def _stop_after_the_run(user_count, **_kwargs):
    seconds = os.environ.get("COMPARE_SECONDS")
    if not seconds or _environment is None or _environment.runner is None:
        return
    gevent.get_hub().loop.update_now()
    gevent.spawn_later(float(seconds), _environment.runner.quit)


class BasicReader(FastHttpUser):
    wait_time = constant(0)

    @task
    def read_spaces_with_basic(self):
        with self.client.get(
            ROUTE,
            headers={"Authorization": BASIC},
            name="read spaces with Basic",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif response.headers.get("X-AUSERNAME") != "alice":
                response.failure("no X-AUSERNAME: alice")
