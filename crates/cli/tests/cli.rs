//! The binary as an operator uses it: user and token commands, a fresh
//! `serve` telling how to create the first admin, and the token working
//! against the running server.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

fn cxloop() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cxloop"))
}

struct TempDir(std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> TempDir {
    TempDir(std::env::temp_dir().join(format!("cxloop-cli-{}", uuid::Uuid::now_v7())))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn user_add_and_token_create_then_the_token_works() {
    let dir = temp_dir();
    let data = dir.0.to_str().unwrap();

    // A fresh serve on an empty folder tells the operator what to do.
    let port = free_port();
    let mut serve = cxloop()
        .args(["serve", "--data-dir", data, "--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serve.stderr.take().unwrap()).lines();
    let mut told = false;
    // Up to "running": one line per migration applied comes first.
    for line in lines.by_ref().take(500) {
        let line = line.unwrap();
        if line.contains("cxloop user add --email") {
            told = true;
        }
        if line.contains("cxloop is running") {
            break;
        }
    }
    assert!(told, "serve explains how to create the first admin");

    let mut add = cxloop()
        .args(["user", "add", "--data-dir", data, "--email", "Lead@Example.com", "--role", "admin", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"a sufficiently long password\n").unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("lead@example.com"));

    let short = cxloop()
        .args(["user", "add", "--data-dir", data, "--email", "b@example.com", "--password-stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = {
        let mut short = short;
        short.stdin.take().unwrap().write_all(b"short\n").unwrap();
        short.wait_with_output().unwrap()
    };
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10"));

    let out = cxloop()
        .args(["token", "create", "--data-dir", data, "--email", "lead@example.com", "--name", "ci"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim().to_string();
    assert_eq!(token.len(), 64);

    let out = cxloop()
        .args(["token", "create", "--data-dir", data, "--email", "nobody@example.com", "--name", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user"));

    // The running server accepts the new token (it shares the database).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}/api/v1/surveys");
        let mut status = 0;
        for _ in 0..50 {
            if let Ok(r) = client.get(&url).bearer_auth(&token).send().await {
                status = r.status().as_u16();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, 200);
        let r = client.get(&url).bearer_auth("not-the-token").send().await.unwrap();
        assert_eq!(r.status(), 401);
    });
    let _ = serve.kill();
    let _ = serve.wait();

    // Backup writes a usable copy and refuses to overwrite.
    let copy = dir.0.join("copy.db");
    let out = cxloop().args(["backup", "--data-dir", data, "--out", copy.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(copy.metadata().unwrap().len() > 0);
    let out = cxloop().args(["backup", "--data-dir", data, "--out", copy.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let out =
        cxloop().args(["user", "list", "--database-url", &format!("sqlite:{}", copy.display())]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("lead@example.com"), "the backup holds the data");
}

#[test]
fn an_unknown_database_scheme_is_a_clear_error() {
    let out = cxloop().args(["user", "list", "--database-url", "mysql://localhost/x"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL scheme"));
}

#[test]
fn import_customers_reports_rows_and_honours_all_or_nothing() {
    let dir = temp_dir();
    let data = dir.0.to_str().unwrap();
    let out = cxloop().args(["demo", "--load-only", "--data-dir", data]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = dir.0.join("customers.csv");
    std::fs::write(&file, "external_id,name,email,Plan,seats\nn1,New One,ops@new.example,pro,10\nn2,Bad,not-an-email,starter,3\nn3,\"Big, Inc\",,gold,900\n").unwrap();
    let file = file.to_str().unwrap();
    let out = cxloop().args(["import", "customers", "--data-dir", data, file, "--all-or-nothing"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3, column \"email\""), "{err}");
    assert!(err.contains("line 4, column \"Plan\""), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let out = cxloop().args(["import", "customers", "--data-dir", data, file, "--dry-run"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 valid, 2 with problems"));
    let out = cxloop().args(["import", "customers", "--data-dir", data, file]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 1 of 3 rows"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!out.status.success(), "problems make the exit status non-zero");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = cxloop_store::open(&format!("sqlite:{}", dir.0.join("cxloop.db").display())).await.unwrap();
        let n1 = store.customer_by_external_id("n1").await.unwrap();
        assert_eq!(n1.attributes["plan"], "pro");
        assert!(store.customer_by_external_id("n2").await.is_err(), "bad rows are not imported");
    });

    // Feedback from elsewhere into the demo's reviews survey, by slug.
    let reviews = dir.0.join("reviews.json");
    std::fs::write(
        &reviews,
        r#"[{"review": "Fast and tidy", "stars": 5, "date": "2026-01-05"}, {"review": "Meh", "stars": 9}]"#,
    )
    .unwrap();
    let reviews = reviews.to_str().unwrap();
    let args = ["import", "feedback", "--data-dir", data, reviews, "--survey", "product-reviews", "--source", "g2"];
    let out = cxloop().args(args).arg("--all-or-nothing").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("item 2, column \"stars\"") && err.contains("nothing was imported"), "{err}");
    let out = cxloop().args(args).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 1 of 2 rows"), "{out:?}");
    // The demo's reviews carry their ids: importing its export again adds nothing.
    let export = dir.0.join("again.csv");
    std::fs::write(&export, "Review ID,Review,Rating\nr-0001,Same review again,4\nr-9999,A new one,5\n").unwrap();
    let export = export.to_str().unwrap();
    let out = cxloop()
        .args([
            "import",
            "feedback",
            "--data-dir",
            data,
            export,
            "--survey",
            "product-reviews",
            "--source",
            "app-store",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 rows were imported before"), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 1 of 2 rows"), "{out:?}");
    let out = cxloop()
        .args(["import", "feedback", "--data-dir", data, reviews, "--survey", "nope", "--source", "g2"])
        .output();
    assert!(String::from_utf8_lossy(&out.unwrap().stderr).contains("no survey has this id or slug"));
}
