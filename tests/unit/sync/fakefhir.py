"""A small in-memory FHIR server behind respx: reads, the searches sync makes (paged by ``_count``
with ``next`` links), batches of them, and transactions with conditional creates (ifNoneExist),
version-checked updates (ifMatch) and deletes; updates outside a transaction (PUT Type/id)."""

from __future__ import annotations

import copy
import itertools
import json
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
import respx

BASE = "https://fhir.example.org/r4"


def searchset(resources):
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def reads_patient(request: httpx.Request, patient: str) -> bool:
    """Whether a request reads the Patient resource: a GET of it, or a batch with that GET."""
    if request.method == "GET":
        return request.url.path.endswith(f"/Patient/{patient}")
    if request.method == "POST" and request.content.startswith(b"{"):
        bundle = json.loads(request.content)
        return bundle.get("type") == "batch" and any(
            e["request"]["url"] == f"Patient/{patient}" for e in bundle.get("entry", [])
        )
    return False


def _matches(resource: dict, parameter: str, value: str) -> bool:
    if parameter == "identifier":
        system, _, code = value.partition("|")
        return any(i.get("system") == system and (not code or i.get("value") == code)
                   for i in resource.get("identifier", []))  # fmt: skip
    if parameter == "_tag":
        system, _, code = value.partition("|")
        return any(t.get("system") == system and t.get("code") == code
                   for t in resource.get("meta", {}).get("tag", []))  # fmt: skip
    if parameter in ("patient", "subject"):
        return (
            resource.get("subject", {}).get("reference")
            == f"Patient/{value.removeprefix('Patient/')}"
        )
    if parameter == "code" and resource.get("resourceType") == "Condition":
        # A token search: any of the listed system|code pairs, exactly (no :below).
        wanted = set(value.split(","))
        codings = resource.get("code", {}).get("coding", [])
        return any(f"{c.get('system')}|{c.get('code')}" in wanted for c in codings)
    if parameter == "url":  # Subscription: its channel's endpoint
        return resource.get("channel", {}).get("endpoint") == value
    if parameter == "target":
        refs = {t["reference"] for t in resource.get("target", [])}
        return bool(refs & set(value.split(",")))
    return True  # Observation codes, _elements: not modelled; _count, _offset: paging


class FakeFhir:
    def __init__(self, router: respx.Router, inputs: list[dict]) -> None:
        self.store: dict[str, dict] = {}  # Type/id -> resource
        self.ids = itertools.count(1)
        self.transactions: list[dict] = []
        self.batches: list[dict] = []  # batch Bundles of reads
        self.fail_next: list[int] = []  # statuses to answer the next transactions with
        self.lose_next: list[int] = []  # ... after applying them: the answer lost on its way
        self.short_next = 0  # transactions to answer with their last entry's answer left out
        self.fail_batches: list[int] = []  # statuses to answer the next batches of reads with
        self.pages: list[str] = []  # the further pages asked for (``next`` links followed)
        self.puts: list[str] = []  # Type/id of each PUT outside a transaction
        for resource in inputs:
            self.store[f"{resource['resourceType']}/{resource['id']}"] = resource
        router.route(host="fhir.example.org").mock(side_effect=self.handle)

    def of_type(self, rtype: str) -> list[dict]:
        return [r for r in self.store.values() if r["resourceType"] == rtype]

    def add(self, resource: dict) -> dict:
        resource = copy.deepcopy(resource)
        rid = str(next(self.ids))
        resource["id"] = rid
        resource["meta"] = {
            **resource.get("meta", {}),
            "versionId": "1",
            "lastUpdated": f"2025-01-01T00:00:{int(rid):02d}Z",
        }
        self.store[f"{resource['resourceType']}/{rid}"] = resource
        return resource

    def replay_unserialised(self, bundle: dict) -> None:
        """Apply a transaction's creates again as a server that does not serialise conditional
        creates would for a second writer at the same moment: every output a second time."""
        urls = {}
        for entry in bundle["entry"]:
            created = self.add(entry["resource"])
            urls[entry["fullUrl"]] = f"{created['resourceType']}/{created['id']}"
        for key in urls.values():
            self.store[key] = json.loads(_rewrite(self.store[key], urls))

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = urlsplit(str(request.url)).path.removeprefix(urlsplit(BASE).path).strip("/")
        if request.method == "POST" and path == "":
            bundle = json.loads(request.content)
            if bundle.get("type") == "batch":
                if self.fail_batches:
                    self.batches.append(bundle)
                    return httpx.Response(self.fail_batches.pop(0), json=_LEAKY)
                return self.batch(bundle, request.headers)
            return self.transaction(bundle)
        if request.method == "PUT":
            return self.put(path, json.loads(request.content))
        if "?" not in str(request.url) and request.method == "GET":
            found = self.store.get(path)
            return (
                httpx.Response(200, json=found)
                if found
                else httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})
            )
        query = parse_qs(urlsplit(str(request.url)).query)
        hits = [r for r in self.of_type(path)
                if all(_matches(r, k, unquote(v[0])) for k, v in query.items())]  # fmt: skip
        return httpx.Response(200, json=self.page(path, query, hits))

    def put(self, path: str, resource: dict) -> httpx.Response:
        """An update outside a transaction (``PUT Type/id``): a new version, or the first."""
        self.puts.append(path)
        stored = self.store.get(path)
        version = int(stored.get("meta", {}).get("versionId", "1")) + 1 if stored else 1
        self.store[path] = {**copy.deepcopy(resource),
                            "meta": {"versionId": str(version), "lastUpdated": "2025-01-02T00:00:00Z"}}  # fmt: skip
        return httpx.Response(200 if stored else 201, json=self.store[path])

    def page(self, path: str, query: dict[str, list[str]], hits: list[dict]) -> dict:
        """One page of ``_count`` results (all when not given), linking the next page."""
        start = int(query.get("_offset", ["0"])[0])
        if start:
            self.pages.append(f"{path}?{query}")
        count = int(query.get("_count", [str(len(hits) or 1)])[0])
        bundle = searchset(hits[start : start + count])
        if start + count < len(hits):
            params = {k: v[0] for k, v in query.items() if k != "_offset"}
            params["_offset"] = str(start + count)
            rest = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
            bundle["link"] = [{"relation": "next", "url": f"{BASE}/{path}?{rest}"}]
        return bundle

    def batch(self, bundle: dict, headers: httpx.Headers) -> httpx.Response:
        """Each GET entry answered as its own request would be (with the batch's headers)."""
        self.batches.append(bundle)
        entries = []
        for entry in bundle["entry"]:
            url = f"{BASE}/{entry['request']['url']}"
            answer = self.handle(httpx.Request("GET", url, headers=headers))
            entries.append({"resource": answer.json(),
                            "response": {"status": f"{answer.status_code} {answer.reason_phrase}"}})  # fmt: skip
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "batch-response",
                                         "entry": entries})  # fmt: skip

    def _find(self, rtype: str, condition: str) -> list[dict]:
        parameter, _, value = condition.partition("=")
        return [r for r in self.of_type(rtype) if _matches(r, parameter, unquote(value))]

    def transaction(self, bundle: dict) -> httpx.Response:
        self.transactions.append(bundle)
        if self.fail_next:
            return _outcome(self.fail_next.pop(0))
        before = copy.deepcopy(self.store)
        urls: dict[str, str] = {}
        try:
            results = [self._entry(entry, urls) for entry in bundle["entry"]]
        except _Refused as refused:  # all or nothing, as a transaction is
            self.store = before
            return _outcome(refused.status)
        for key, resource in self.store.items():  # urn:uuid references → the ids given
            self.store[key] = json.loads(_rewrite(resource, urls))
        if self.lose_next:
            return _outcome(self.lose_next.pop(0))
        entries = [{"response": {"status": s, **({"location": at} if at else {})}}
                   for s, at in results]  # fmt: skip
        if self.short_next:
            self.short_next -= 1
            entries.pop()
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "transaction-response",
                                         "entry": entries})  # fmt: skip

    def _entry(self, entry: dict, urls: dict[str, str]) -> tuple[str, str | None]:
        """One transaction entry: its status and location; _Refused undoes the transaction."""
        request, resource = entry["request"], entry.get("resource")
        if request["method"] == "DELETE":
            self.store.pop(request["url"], None)
            return "204 No Content", None
        if request["method"] == "POST":
            matches = self._find(request["url"], request["ifNoneExist"])
            if len(matches) > 1:
                raise _Refused(412)
            if matches:
                urls[entry["fullUrl"]] = f"{request['url']}/{matches[0]['id']}"
                return "200 OK", None
            created = self.add(resource)
            urls[entry["fullUrl"]] = f"{request['url']}/{created['id']}"
            return "201 Created", f"{BASE}/{request['url']}/{created['id']}/_history/1"
        stored = self.store.get(request["url"])  # PUT Type/id with ifMatch
        if stored is None or request.get("ifMatch") != f'W/"{stored["meta"]["versionId"]}"':
            raise _Refused(409)
        version = str(int(stored["meta"]["versionId"]) + 1)
        self.store[request["url"]] = {
            **copy.deepcopy(resource),
            "meta": {"versionId": version, "lastUpdated": "2025-01-02T00:00:00Z"},
        }
        return "200 OK", f"{request['url']}/_history/{version}"


class _Refused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _outcome(status: int) -> httpx.Response:
    return httpx.Response(status, json={"resourceType": "OperationOutcome", "issue": []})


_LEAKY = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception",
          "diagnostics": "jdbc:postgresql://db:5432/fhir?password=hunter2"}]}  # fmt: skip


def _rewrite(resource: dict, urls: dict[str, str]) -> str:
    text = json.dumps(resource)
    for urn, ref in urls.items():
        text = text.replace(f'"{urn}"', f'"{ref}"')
    return text
