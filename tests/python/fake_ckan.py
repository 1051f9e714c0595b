"""A small CKAN Action API on loopback, for the upload tests.

It implements the four actions the uploader uses, as CKAN answers them: package_show,
package_create, package_update (JSON bodies) and resource_create (multipart with the file).
Writes need the API key in the Authorization header. Everything it receives is kept for the
test to inspect.
"""

from __future__ import annotations

import json
import threading
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeCKAN:
    def __init__(self, api_key: str):
        self.api_key = api_key
        self.packages: dict[str, dict] = {}  # by id
        self.uploads: dict[str, bytes] = {}  # resource id -> bytes received
        self.calls: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeCKAN:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def by_name(self, name: str) -> dict | None:
        return next((p for p in self.packages.values() if name in (p["name"], p["id"])), None)

    # ------------------------------------------------------------------ actions

    def package_show(self, data: dict) -> dict:
        found = self.by_name(data.get("id", ""))
        if found is None:
            raise LookupError("Not found")
        return found

    def package_create(self, data: dict) -> dict:
        if not data.get("name") or self.by_name(data["name"]):
            raise ValueError(
                {"name": ["That URL is already in use." if data.get("name") else "Missing value"]}
            )
        package = dict(data, id=str(uuid.uuid4()), resources=list(data.get("resources", [])))
        self.packages[package["id"]] = package
        return package

    def package_update(self, data: dict) -> dict:
        found = self.by_name(data.get("id", ""))
        if found is None:
            raise LookupError("Not found")
        package = dict(data, id=found["id"])
        package["resources"] = list(data.get("resources", found["resources"]))
        self.packages[found["id"]] = package
        return package

    def resource_create(self, data: dict, files: dict) -> dict:
        package = self.by_name(data.get("package_id", ""))
        if package is None:
            raise ValueError({"package_id": ["Not found: Dataset"]})
        resource_id = str(uuid.uuid4())
        upload = files.get("upload")
        resource = dict(data, id=resource_id, package_id=package["id"])
        if upload is not None:
            filename, content = upload
            self.uploads[resource_id] = content
            resource["url"] = (
                f"{self.url}/dataset/{package['id']}/resource/{resource_id}/download/{filename}"
            )
            resource["url_type"] = "upload"
        package["resources"].append(resource)
        return resource

    # ------------------------------------------------------------------ HTTP

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, kind: str, message) -> None:
                error = {"__type": kind}
                if isinstance(message, dict):
                    error.update(message)
                else:
                    error["message"] = message
                self._answer(status, {"success": False, "error": error})

            def _dispatch(self, action: str, data: dict, files: dict) -> None:
                fake.calls.append(action)
                writes = {"package_create", "package_update", "resource_create"}
                if action in writes and self.headers.get("Authorization") != fake.api_key:
                    self._error(403, "Authorization Error", "Access denied")
                    return
                try:
                    if action == "resource_create":
                        result = fake.resource_create(data, files)
                    elif action in ("package_show", "package_create", "package_update"):
                        result = getattr(fake, action)(data)
                    else:
                        self._error(400, "Bad request", f"unknown action {action}")
                        return
                except LookupError as error:
                    self._error(404, "Not Found Error", str(error))
                    return
                except ValueError as error:
                    self._error(409, "Validation Error", error.args[0])
                    return
                self._answer(200, {"success": True, "result": result})

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                action = parsed.path.rsplit("/", 1)[-1]
                data = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                self._dispatch(action, data, {})

            def do_POST(self) -> None:
                action = urlparse(self.path).path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                content_type = self.headers.get("Content-Type", "")
                data, files = {}, {}
                if content_type.startswith("multipart/form-data"):
                    message = BytesParser(policy=HTTP).parsebytes(
                        f"Content-Type: {content_type}\r\n\r\n".encode() + body
                    )
                    for part in message.iter_parts():
                        name = part.get_param("name", header="content-disposition")
                        filename = part.get_filename()
                        payload = part.get_payload(decode=True)
                        if filename:
                            files[name] = (filename, payload)
                        else:
                            data[name] = payload.decode("utf-8")
                elif body:
                    data = json.loads(body)
                self._dispatch(action, data, files)

        return Handler
