use iodao_core::{Actor, AuditBreak, AuditError};

use crate::helpers::*;

#[tokio::test]
async fn every_state_change_is_logged_in_order_with_its_actor() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    g.vote(&p, alice(), "for", t(150)).await.unwrap();
    g.vote(&p, alice(), "against", t(151)).await.unwrap();
    g.gov.advance(t(200)).await.unwrap();
    let q = g.proposal().await;
    g.gov.cancel(q.id, &Actor::Address(bob()), t(10)).await.unwrap();
    // A refused vote logs nothing.
    assert!(g.vote(&q, alice(), "for", t(150)).await.is_err());

    let log = g.gov.audit_entries(0, 100).await.unwrap();
    let rows: Vec<(&str, &str, String)> =
        log.iter().map(|e| (e.action.as_str(), e.subject.as_str(), e.actor.clone())).collect();
    let subject = format!("proposal:{}", p.id.get());
    let q_subject = format!("proposal:{}", q.id.get());
    assert_eq!(
        rows,
        vec![
            ("proposal.created", subject.as_str(), "cli".to_owned()),
            ("proposal.activated", subject.as_str(), "system".to_owned()),
            ("vote.cast", subject.as_str(), alice().to_string()),
            ("vote.replaced", subject.as_str(), alice().to_string()),
            ("proposal.closed", subject.as_str(), "system".to_owned()),
            ("proposal.created", q_subject.as_str(), "cli".to_owned()),
            ("proposal.cancelled", q_subject.as_str(), bob().to_string()),
        ]
    );
    let replaced: serde_json::Value = serde_json::from_str(&log[3].detail).unwrap();
    assert_eq!(replaced["selection"], "2=10000");
    assert_eq!(replaced["replaced"]["selection"], "1=10000");
    assert_eq!(replaced["power"], "100000000000000000000");
    assert_eq!(g.gov.verify_audit().await.unwrap(), 7);
}

async fn tamper(g: &TestGov, sql: &'static str) {
    use sqlx::Connection as _;
    let mut conn = sqlx::SqliteConnection::connect(&g.url).await.expect("connect");
    sqlx::query(sql).execute(&mut conn).await.expect("tamper");
    conn.close().await.expect("close");
}

#[tokio::test]
async fn an_edited_audit_row_is_detected() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    g.vote(&p, alice(), "for", t(150)).await.unwrap();
    g.vote(&p, bob(), "for", t(151)).await.unwrap();
    tamper(&g, "UPDATE audit_log SET detail = replace(detail, '1=10000', '2=10000') WHERE seq = 3").await;
    let err = g.gov.verify_audit().await.unwrap_err();
    assert!(matches!(err, AuditError::Broken(AuditBreak::Altered { seq: 3 })), "{err}");
}

#[tokio::test]
async fn a_deleted_audit_row_is_detected() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    g.vote(&p, alice(), "for", t(150)).await.unwrap();
    g.vote(&p, bob(), "for", t(151)).await.unwrap();
    tamper(&g, "DELETE FROM audit_log WHERE seq = 2").await;
    let err = g.gov.verify_audit().await.unwrap_err();
    assert!(matches!(err, AuditError::Broken(AuditBreak::Gap { expected: 2, found: 3 })), "{err}");
    assert_eq!(err.to_string(), "audit entry 3 follows entry 1: entries are missing");
}
