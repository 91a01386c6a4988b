"""Local users: the file, argon2 hashes, one answer (and one cost) for every failed login, the CLI,
and the demo users that appear only beside the demo."""

from __future__ import annotations

import io
import stat
import time
from datetime import date
from pathlib import Path

import pytest
from tiny_export import TINY_KEY, write_tiny_export

from kpis.access import users as u
from kpis.access.demo_users import DEMO_USERS, ensure_demo_users, is_demo_database
from kpis.access.roles import Role
from kpis.cli import main
from kpis.data.importer import run_import

PASSWORD = "rigtig-hest-batteri"


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.toml"
    u.add_user(u.make_user("Anne", "afdelingsleder", ["Team Nord", " Team Syd "], "Anne Jensen"),
               PASSWORD, path)
    u.add_user(u.make_user("bo", "analytiker"), "en-anden-kode", path)
    return path


def test_the_right_password_gives_the_user(users_file: Path):
    user = u.authenticate("anne", PASSWORD, users_file)
    assert user == u.User("anne", "Anne Jensen", Role.DEPARTMENT_HEAD,
                          frozenset({"Team Nord", "Team Syd"}))
    # Usernames are not case-sensitive, and surrounding spaces are ignored.
    assert u.authenticate(" ANNE ", PASSWORD, users_file) == user
    assert u.authenticate("bo", "en-anden-kode", users_file).teams is None


@pytest.mark.parametrize(("username", "password"), [
    ("anne", "forkert-kode-123"),       # wrong password
    ("ukendt", PASSWORD),               # unknown user
    ("bo", PASSWORD),                   # another user's password
    ("anne", ""),                       # empty
    ("", ""),
    ("anne", PASSWORD.upper()),         # passwords are case-sensitive
])
def test_any_wrong_part_gives_the_same_answer(users_file: Path, username: str, password: str):
    assert u.authenticate(username, password, users_file) is None


def test_unknown_user_costs_as_much_as_a_wrong_password(users_file: Path, monkeypatch):
    """Timing must not tell whether the username exists: both run one argon2 verification
    against a hash of the same parameters."""
    verified: list[str] = []
    real_verify = u.PasswordHasher.verify

    def spy(self, hash_, password):
        verified.append(hash_.rsplit("$", 2)[0])  # algorithm, version and cost parameters
        return real_verify(self, hash_, password)

    monkeypatch.setattr(u.PasswordHasher, "verify", spy)
    u.authenticate("anne", "forkert-kode-123", users_file)
    u.authenticate("ukendt", "forkert-kode-123", users_file)
    assert len(verified) == 2 and verified[0] == verified[1]

    # And on the clock: the fastest of several interleaved tries (robust to a busy machine).
    def fastest(name: str) -> float:
        start = time.perf_counter()
        u.authenticate(name, "forkert-kode-123", users_file)
        return time.perf_counter() - start

    pairs = [(fastest("anne"), fastest("ukendt")) for _ in range(7)]
    wrong_password, unknown_user = min(p[0] for p in pairs), min(p[1] for p in pairs)
    assert 0.5 < unknown_user / wrong_password < 2.0, (unknown_user, wrong_password)


def test_the_file_holds_hashes_only_and_is_private(users_file: Path):
    text = users_file.read_text(encoding="utf-8")
    assert PASSWORD not in text and "en-anden-kode" not in text
    assert text.count("$argon2id$") == 2
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    # The same password hashes differently each time (salted).
    assert u.hash_password(PASSWORD) != u.hash_password(PASSWORD)


def test_add_refuses_a_duplicate_unless_replaced_and_remove(users_file: Path):
    with pytest.raises(ValueError, match="findes allerede"):
        u.add_user(u.make_user("anne", "udvalg"), "ny-kode-12345", users_file)
    u.add_user(u.make_user("anne", "udvalg"), "ny-kode-12345", users_file, replace=True)
    assert u.authenticate("anne", PASSWORD, users_file) is None
    assert u.authenticate("anne", "ny-kode-12345", users_file).role is Role.COMMITTEE
    u.remove_user("ANNE", users_file)
    assert [x.username for x in u.list_users(users_file)] == ["bo"]
    with pytest.raises(ValueError, match="findes ikke"):
        u.remove_user("anne", users_file)


@pytest.mark.parametrize(("args", "message"), [
    (("anne", "afdelingsleder", None), "mindst ét team"),
    (("anne", "analytiker", ["Team Nord"]), "gælder kun afdelingsledere"),
    (("anne", "chef", None), "ukendt rolle"),
    (("anne jensen", "udvalg", None), "ugyldigt brugernavn"),
    (("", "udvalg", None), "ugyldigt brugernavn"),
])
def test_make_user_refuses(args, message: str):
    with pytest.raises(ValueError, match=message):
        u.make_user(*args)


def test_short_passwords_are_refused(tmp_path: Path):
    with pytest.raises(ValueError, match=f"mindst {u.MIN_PASSWORD_LENGTH} tegn"):
        u.add_user(u.make_user("cy", "admin"), "kort", tmp_path / "users.toml")


def test_names_with_quotes_and_danish_letters_survive_the_file(tmp_path: Path):
    path = tmp_path / "users.toml"
    user = u.make_user("soeren@kommune.dk", "afdelingsleder", ['Team "Øst"', "Team\\Syd"],
                       'Søren "Ø" Ærø')
    u.add_user(user, PASSWORD, path)
    assert u.authenticate("soeren@kommune.dk", PASSWORD, path) == user


def test_a_broken_file_reports_every_problem_at_once(tmp_path: Path):
    path = tmp_path / "users.toml"
    path.write_text(
        '[users.anne]\nrole = "chef"\npassword_hash = "klartekst"\nfarve = "blå"\n'
        '[users.bo]\nrole = "afdelingsleder"\npassword_hash = "$argon2id$x"\n',
        encoding="utf-8")
    with pytest.raises(u.UsersFileError) as exc:
        u.load_users(path)
    text = str(exc.value)
    assert str(path) in text
    for expected in ("[users.anne]: ukendte felter farve", "[users.anne]: ukendt rolle 'chef'",
                     "[users.anne]: password_hash skal være en argon2-hash",
                     "[users.bo]: en afdelings- eller teamleder skal have mindst ét team"):
        assert expected in text
    # Signing in against a broken file fails like a wrong password, without raising.
    assert u.authenticate("anne", "klartekst") is None


def test_no_file_means_no_users(tmp_path: Path):
    assert u.load_users(tmp_path / "none.toml") == {}
    assert u.authenticate("anne", PASSWORD, tmp_path / "none.toml") is None


# --- the command line ----------------------------------------------------------------------


def _cli(monkeypatch, path: Path, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["users", "--file", str(path), *args])


def test_cli_add_list_remove(tmp_path: Path, monkeypatch, capsys):
    path = tmp_path / "users.toml"
    assert _cli(monkeypatch, path, "add", "anne", "--role", "afdelingsleder",
                "--teams", "Team Nord,Team Syd", "--display-name", "Anne Jensen",
                stdin=PASSWORD + "\n") == 0
    assert u.authenticate("anne", PASSWORD, path).teams == {"Team Nord", "Team Syd"}
    assert _cli(monkeypatch, path, "list") == 0
    out = capsys.readouterr().out
    assert "anne\tdepartment_head [Team Nord, Team Syd]\tAnne Jensen" in out
    assert "$argon2" not in out and PASSWORD not in out
    assert _cli(monkeypatch, path, "remove", "anne") == 0
    assert u.load_users(path) == {}


def test_cli_refuses_with_a_danish_message(tmp_path: Path, monkeypatch, capsys):
    path = tmp_path / "users.toml"
    assert _cli(monkeypatch, path, "add", "anne", "--role", "admin", stdin="kort\n") == 1
    assert "mindst 10 tegn" in capsys.readouterr().err
    assert _cli(monkeypatch, path, "add", "anne", "--role", "afdelingsleder",
                stdin=PASSWORD + "\n") == 1
    assert "mindst ét team" in capsys.readouterr().err
    assert not path.exists()


def test_cli_takes_no_password_argument():
    with pytest.raises(SystemExit):
        main(["users", "add", "anne", "--role", "admin", "--password", PASSWORD])


# --- demo users ----------------------------------------------------------------------------


def test_one_demo_user_per_role_with_its_documented_password(tmp_path: Path, demo_db: Path):
    path = tmp_path / "users.toml"
    assert {d.user.role for d in DEMO_USERS} == set(Role)
    assert ensure_demo_users(demo_db, path)
    for d in DEMO_USERS:
        assert u.authenticate(d.user.username, d.password, path) == d.user
        assert u.load_users(path)[d.user.username].demo
    head = next(d.user for d in DEMO_USERS if d.user.role is Role.DEPARTMENT_HEAD)
    assert head.teams == {"Team Nord", "Team Syd"}
    docs = (Path(__file__).resolve().parent.parent / "docs" / "authentication.md").read_text()
    for d in DEMO_USERS:
        assert f"`{d.user.username}`" in docs and f"`{d.password}`" in docs


def test_demo_users_are_never_written_beside_real_data(tmp_path: Path, demo_db: Path):
    path = tmp_path / "users.toml"
    # An existing users file is never touched.
    path.write_text("", encoding="utf-8")
    assert not ensure_demo_users(demo_db, path)
    assert path.read_text() == ""
    path.unlink()
    # A municipality's own import gets no demo users; nor does a file that is no snapshot.
    other = tmp_path / "kommune.duckdb"
    run_import(write_tiny_export(tmp_path / "export"), other, profile="canonical",
               as_of=date(2025, 6, 30), pseudonym_key=TINY_KEY)
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database")
    for db in (other, broken):
        assert not is_demo_database(db)
        assert not ensure_demo_users(db, path)
        assert not path.exists()
    # No database yet: the app's first start builds the demo, so the demo users come with it.
    assert is_demo_database(demo_db)
    assert ensure_demo_users(tmp_path / "first-start.duckdb", path)


def test_the_throttle_stops_guessing_at_one_username_for_a_while():
    throttle = u.LoginThrottle(max_failures=3, window_s=900)
    for t in (0, 10, 20):
        assert not throttle.blocked("anne", now=t)
        throttle.failed("Anne", now=t)
    assert throttle.blocked(" ANNE ", now=30)
    assert not throttle.blocked("bo", now=30)          # other usernames are not affected
    assert not throttle.blocked("anne", now=20 + 901)  # the window has passed
    throttle.failed("bo", now=0)
    throttle.succeeded("bo")
    assert throttle._failures.get("bo") is None
