"""A stand-in for Automation Controller's API, as far as ansible-rulebook
uses it to launch templates: it serves the job and workflow templates that
the generated controller playbook (`awx.awx` module tasks) declares, and
records every launch (template, type, extra variables) as a JSON line.

    python controller.py CONTROLLER_YML[:CONTROLLER_YML...] PORT LAUNCHES_FILE

(one controller playbook per environment; the controller serves them all)

A launch of a template the playbook does not declare is answered 404, as
the controller would answer for a template that does not exist; a launch
with extra variables on a template that does not ask for them, 400.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import yaml

KINDS = {
    "awx.awx.job_template": ("job_template", "job_templates", "jobs"),
    "awx.awx.workflow_job_template": (
        "workflow_job_template",
        "workflow_job_templates",
        "workflow_jobs",
    ),
}


def templates(paths):
    """The templates of the playbooks, by id."""
    found = {}
    plays = [play for path in paths for play in yaml.safe_load(open(path))]
    for play in plays:
        for task in play["tasks"]:
            for module, (kind, collection, jobs) in KINDS.items():
                if module in task:
                    args = task[module]
                    tid = len(found) + 1
                    found[tid] = {
                        "id": tid,
                        "type": kind,
                        "name": args["name"],
                        "args": args,
                        "collection": collection,
                        "jobs": jobs,
                    }
    return found


class Controller(BaseHTTPRequestHandler):
    templates = {}
    launches = None
    jobs = {}
    lock = threading.Lock()

    def log_message(self, *_):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/api/v2/config/":
            return self.answer(200, {"version": "4.6.0"})
        if url.path == "/api/v2/unified_job_templates/":
            name = query.get("name", [None])[0]
            results = [
                {
                    "id": t["id"],
                    "type": t["type"],
                    "name": t["name"],
                    "summary_fields": {"organization": {"name": t["args"]["organization"]}},
                    "related": {"launch": f"/api/v2/{t['collection']}/{t['id']}/launch/"},
                    "ask_limit_on_launch": False,
                    "ask_labels_on_launch": False,
                    "ask_inventory_on_launch": False,
                    "ask_variables_on_launch": bool(t["args"].get("ask_variables_on_launch")),
                }
                for t in self.templates.values()
                if name is None or t["name"] == name
            ]
            return self.answer(200, {"count": len(results), "next": None, "results": results})
        for jobs in ("jobs", "workflow_jobs"):
            if url.path == f"/api/v2/{jobs}/":
                ids = query.get("id__in", [""])[0].split(",")
                results = [
                    {"id": int(i), "status": "successful", "url": f"/api/v2/{jobs}/{i}/", "artifacts": {}}
                    for i in ids
                    if i and int(i) in self.jobs
                ]
                return self.answer(200, {"count": len(results), "next": None, "results": results})
            if url.path.startswith(f"/api/v2/{jobs}/"):
                i = int(url.path.rstrip("/").rsplit("/", 1)[1])
                return self.answer(200, {"id": i, "status": "successful", "url": url.path, "artifacts": {}})
        return self.answer(404, {"detail": "Not found."})

    def do_POST(self):
        url = urlparse(self.path)
        parts = url.path.strip("/").split("/")
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if len(parts) == 5 and parts[4] == "launch":
            template = self.templates.get(int(parts[3]))
            if template is None or template["collection"] != parts[2]:
                return self.answer(404, {"detail": "Not found."})
            if body.get("extra_vars") and not template["args"].get("ask_variables_on_launch"):
                return self.answer(400, {"variables_needed_to_start": ["extra_vars not allowed"]})
            with self.lock:
                job = len(self.jobs) + 1
                self.jobs[job] = template["name"]
                with open(self.launches, "a") as out:
                    out.write(
                        json.dumps(
                            {"template": template["name"], "type": template["type"], "extra_vars": body.get("extra_vars", {})}
                        )
                        + "\n"
                    )
            jobs = template["jobs"]
            return self.answer(
                201,
                {"id": job, "job": job, "workflow_job": job, "status": "pending", "url": f"/api/v2/{jobs}/{job}/"},
            )
        return self.answer(404, {"detail": "Not found."})


def main():
    playbooks, port, launches = sys.argv[1].split(":"), int(sys.argv[2]), sys.argv[3]
    Controller.templates = templates(playbooks)
    Controller.launches = launches
    open(launches, "w").close()
    ThreadingHTTPServer(("127.0.0.1", port), Controller).serve_forever()


if __name__ == "__main__":
    main()
