"""Running the same operation from several threads at once, as simultaneous requests would."""
import threading

from models import db


def run_at_once(actions, *, expected=(), timeout=60):
    """Run each callable in its own thread on its own database connection, all released together by
    a barrier once connected. Returns (results, refusals): the values returned, and the exceptions
    of the `expected` types raised; any other exception fails the calling test."""
    barrier = threading.Barrier(len(actions))
    results, refusals, errors = [], [], []

    def run(action):
        try:
            db.connect(reuse_if_open=True)
            barrier.wait()
            results.append(action())
        except expected as refusal:
            refusals.append(refusal)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    db.connect(reuse_if_open=True)
    assert not errors, errors
    return results, refusals
