"""POST /v1/ingest: uploads answer 202 with a job, the job is polled to its report, the documents
show for their tenant only, a retried upload with the same Idempotency-Key is a no-op, server
paths only under serve.ingest_root and only for admin keys, and DELETE /v1/documents/{source}."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.integration


def wait_job(c, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = c.get(f"/v1/jobs/{job_id}").json()
        if job["state"] not in ("queued", "running") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def sources(c) -> set[str]:
    return {d["source"] for d in c.get("/v1/documents").json()["documents"]}


def test_upload_job_idempotency_and_tenant_documents(live):
    files = [("files", ("gamma.md", b"# Gamma valves\n\nGamma valves are green and open at dawn.")),
             ("files", ("../../etc/delta.md", b"# Delta\n\nDelta doors are yellow."))]
    with live.client("k-acme") as c:
        r = c.post("/v1/ingest", files=files, headers={"Idempotency-Key": "upload-1"})
        assert r.status_code == 202, r.text
        job = r.json()
        assert r.headers["location"] == f"/v1/jobs/{job['id']}" and job["state"] in ("queued", "running", "succeeded")
        assert job["request"]["files"] == ["acme/gamma.md", "acme/delta.md"]  # names only, no paths
        done = wait_job(c, job["id"])
        assert done["state"] == "succeeded", done
        assert done["report"]["added"] == 2 and done["report"]["failed"] == 0 and done["progress"]["files"] >= 2
        assert {"acme/gamma.md", "acme/delta.md"} <= sources(c)
        ans = c.post("/v1/ask", json={"question": "What colour are gamma valves?"}).json()
        assert "green" in ans["text"] and ans["citations"][0]["source"] == "acme/gamma.md"

        again = c.post("/v1/ingest", files=files, headers={"Idempotency-Key": "upload-1"})
        assert again.status_code == 202 and again.json()["id"] == job["id"]
        assert again.headers["idempotent-replayed"] == "true" and again.json()["state"] == "succeeded"
        changed = [("files", ("gamma.md", b"# Gamma valves\n\nGamma valves are purple."))]
        conflict = c.post("/v1/ingest", files=changed, headers={"Idempotency-Key": "upload-1"})
        assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "idempotency_key_reused"
    with live.client("k-globex") as c:
        assert not any(s.startswith("acme/") for s in sources(c)) and "globex/beta.md" in sources(c)
        assert c.get(f"/v1/jobs/{job['id']}").status_code == 404  # another key's job
        ans = c.post("/v1/ask", json={"question": "What colour are gamma valves?"}).json()
        assert "green" not in ans["text"]
    with live.client("k-admin") as c:
        assert {"acme/gamma.md", "globex/beta.md"} <= sources(c)


def test_delete_a_document_only_inside_the_tenant(live):
    with live.client("k-acme") as c:
        r = c.post("/v1/ingest", files=[("files", ("omega.md", b"# Omega\n\nOmega gears turn twice a day."))])
        assert wait_job(c, r.json()["id"])["state"] == "succeeded"
    with live.client("k-admin") as c:  # admin may delete anything, but globex cannot see acme's
        assert c.delete("/v1/documents/acme/nothing.md").status_code == 404
    with live.client("k-acme") as c:
        assert c.delete("/v1/documents/globex/pump.md").status_code == 404  # not "forbidden": not confirmed
        r = c.delete("/v1/documents/acme/omega.md")
        assert r.status_code == 200 and r.json()["chunks_deleted"] >= 1 and r.json()["file_removed"]
        assert "acme/omega.md" not in sources(c)
        hits = c.post("/v1/search", json={"query": "omega gears", "mode": "sparse"}).json()["results"]
        assert all(h["source"] != "acme/omega.md" for h in hits)
        assert not (live.home / "uploads" / "acme" / "omega.md").exists()
        r = c.post("/v1/ingest", files=[("files", ("pump.md", b"# Acme pump\n\nThe acme pump moves 30 litres per "
                                                              b"minute. Its seals are replaced in autumn."))])
        assert wait_job(c, r.json()["id"])["state"] == "succeeded"
        assert "acme/omega.md" not in sources(c)  # a later job does not bring it back
    with live.client("k-globex") as c:
        assert "globex/pump.md" in sources(c)


def test_server_paths_only_under_the_ingest_root_and_for_admin(live):
    root = live.home / "server-docs"
    (root / "manuals").mkdir(exist_ok=True)
    (root / "manuals" / "kappa.md").write_text("# Kappa\n\nKappa filters are changed every 90 days.")
    with live.client("k-acme") as c:
        r = c.post("/v1/ingest", json={"paths": ["manuals"]})
        assert r.status_code == 403 and r.json()["error"]["code"] == "missing_role"
    with live.client("k-admin") as c:
        assert c.post("/v1/ingest", json={"paths": ["../uploads"]}).json()["error"]["code"] == "outside_root"
        assert c.post("/v1/ingest", json={"paths": ["/etc"]}).status_code == 403
        assert c.post("/v1/ingest", json={"paths": ["missing"]}).json()["error"]["code"] == "path_not_found"
        assert c.post("/v1/ingest", json={"paths": []}).status_code == 422
        r = c.post("/v1/ingest", json={"paths": ["manuals"]})
        assert r.status_code == 202
        done = wait_job(c, r.json()["id"])
        assert done["state"] == "succeeded" and done["report"]["added"] == 1
        assert "kappa.md" in sources(c)
    with live.client("k-acme") as c:
        assert "kappa.md" not in sources(c)  # outside acme's tenant
