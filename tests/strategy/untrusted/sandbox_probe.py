"""A sandbox worker for the containment tests: it runs the request's ``code`` with full Python (no validation,
every builtin, every module), so only the sandbox stands between that code and the host. The code leaves what
it found in the dict ``answer``, which comes back as the JSON answer."""

from research_env.strategy.untrusted._sandbox import serve


def _probe(request: dict) -> dict:
    scope = {"answer": {}}
    exec(request["code"], scope)
    return scope["answer"]


if __name__ == "__main__":
    serve(_probe)
