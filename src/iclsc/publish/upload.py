"""`python -m iclsc upload RELEASE_DIR --portal URL`: send a release to a CKAN portal.

Dry run by default: it reads the portal (package_show) and prints what it would do. With
`--apply` it creates or updates one package per dataset (package_create / package_update)
from the release's `portail/<resource>.ckan.json`, then uploads the dataset's files
(resource_create). An update replaces the resources this release publishes (same names) and
keeps any other resource the portal holds. The API key is read from an environment variable
(`--apikey-env`, default CKAN_API_KEY), never from the command line. Every file is checked
against its checksum before anything is sent.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

from iclsc.publish.steps import PORTAL_DIR

EXIT_OK = 0
EXIT_CONFIGURATION = 2
EXIT_PORTAL = 6
PLACEHOLDER_DOMAINS = ("example.org", "example.com", "example.net")


class UploadError(RuntimeError):
    pass


def packages(release_dir: Path) -> list[tuple[dict, Path]]:
    """The CKAN payload of every dataset of a release, checked against the files."""
    descriptor_path = release_dir / "datapackage.json"
    if not descriptor_path.is_file():
        raise UploadError(f"{release_dir}: no datapackage.json, not a release")
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    found = []
    for resource in descriptor["resources"]:
        if "iclsc:portal" not in resource:
            continue  # the diff and other resources that are no portal dataset
        path = release_dir / PORTAL_DIR / f"{resource['name']}.ckan.json"
        if not path.is_file():
            raise UploadError(f"{path} is missing")
        package = json.loads(path.read_text(encoding="utf-8"))
        for entry in package["resources"]:
            data_path = release_dir / entry["iclsc_path"]
            digest = "sha256:" + hashlib.sha256(data_path.read_bytes()).hexdigest()
            if digest != entry["hash"]:
                raise UploadError(f"{data_path}: checksum differs from {path.name}")
        found.append((package, path))
    if not found:
        raise UploadError(f"{release_dir}: no dataset with portal metadata")
    return found


def is_local(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def placeholder_contacts(items: list[tuple[dict, Path]]) -> list[str]:
    return [
        f"{package['name']}: contact {package['maintainer_email']}"
        for package, _ in items
        if package.get("maintainer_email", "").lower().endswith(PLACEHOLDER_DOMAINS)
    ]


def upload(release_dir: Path, client, apply: bool, log=print) -> list[dict]:
    """Creates or updates every dataset of the release; returns the actions (done or planned)."""
    from ckanapi import NotFound

    actions = []
    for package, _ in packages(release_dir):
        files = package["resources"]
        payload = {k: v for k, v in package.items() if k != "resources"}
        try:
            existing = client.action.package_show(id=package["name"])
        except NotFound:
            existing = None
        ours = {f["name"] for f in files}
        if existing is None:
            actions.append({"action": "package_create", "name": package["name"]})
        else:
            payload["id"] = existing["id"]
            payload["resources"] = [
                r for r in existing.get("resources", []) if r.get("name") not in ours
            ]
            actions.append(
                {
                    "action": "package_update",
                    "name": package["name"],
                    "replaced_resources": sorted(
                        r["name"] for r in existing.get("resources", []) if r.get("name") in ours
                    ),
                }
            )
        actions += [
            {
                "action": "resource_create",
                "name": package["name"],
                "resource": f["name"],
                "file": f["iclsc_path"],
            }
            for f in files
        ]
        if not apply:
            continue
        if existing is None:
            created = client.action.package_create(**payload)
        else:
            created = client.action.package_update(**payload)
        for f in files:
            with (release_dir / f["iclsc_path"]).open("rb") as handle:
                client.action.resource_create(
                    package_id=created["id"],
                    name=f["name"],
                    description=f["description"],
                    format=f["format"],
                    mimetype=f["mimetype"],
                    hash=f["hash"],
                    size=f["size"],
                    upload=handle,
                )
            log(f"uploaded {f['iclsc_path']} to {package['name']}")
    return actions


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("release_dir", type=Path, help="a release folder (or publication/latest)")
    parser.add_argument(
        "--portal", required=True, help="CKAN site, e.g. https://www.donneesquebec.ca/recherche"
    )
    parser.add_argument(
        "--apikey-env",
        default="CKAN_API_KEY",
        help="variable holding the API key (default CKAN_API_KEY)",
    )
    parser.add_argument(
        "--apply", action="store_true", help="write to the portal (default: dry run)"
    )


def run(args: argparse.Namespace) -> int:
    from ckanapi import CKANAPIError, RemoteCKAN

    release_dir = args.release_dir.resolve()
    try:
        items = packages(release_dir)
    except UploadError as error:
        print(f"upload refused: {error}", file=sys.stderr)
        return EXIT_CONFIGURATION
    apikey = os.environ.get(args.apikey_env)
    if args.apply and not apikey:
        print(f"upload refused: --apply needs an API key in ${args.apikey_env}", file=sys.stderr)
        return EXIT_CONFIGURATION
    placeholders = placeholder_contacts(items)
    if args.apply and placeholders and not is_local(args.portal):
        print(
            "upload refused: placeholder contact addresses (set the real ones in the exposures): "
            + "; ".join(placeholders),
            file=sys.stderr,
        )
        return EXIT_CONFIGURATION
    try:
        with RemoteCKAN(args.portal, apikey=apikey, user_agent="iclsc-open-data upload") as client:
            actions = upload(release_dir, client, args.apply)
    except (CKANAPIError, OSError) as error:
        print(f"the portal refused or failed: {error!r}", file=sys.stderr)
        return EXIT_PORTAL
    print(
        json.dumps(
            {"apply": args.apply, "portal": args.portal, "actions": actions},
            indent=2,
            ensure_ascii=False,
        )
    )
    if not args.apply:
        print("dry run: nothing was written (use --apply)", file=sys.stderr)
    return EXIT_OK
