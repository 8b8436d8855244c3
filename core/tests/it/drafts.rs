use iodao_core::{ChatAccount, DraftProgress, DraftStep, Drafts, GovernanceError, Platform};

use crate::helpers::{TestGov, t};

#[tokio::test]
async fn a_draft_resumes_after_a_restart_and_its_last_step_creates_the_proposal() {
    let mut g = TestGov::new().await;
    let account = ChatAccount::new(Platform::Telegram, 99);
    let drafts = Drafts::new(g.gov.clone());
    let d = drafts.start(&account, t(0)).await.unwrap();
    assert_eq!(d.step(), DraftStep::Title);
    let DraftProgress::Next(d) = drafts.answer(d, "Fund <b>solar</b>", t(1)).await.unwrap() else { panic!() };
    assert_eq!(d.step(), DraftStep::Body);

    g.restart().await;
    let drafts = Drafts::new(g.gov.clone());
    let d = drafts.get(&account).await.unwrap().expect("the draft survived");
    assert_eq!(d.title.as_ref().unwrap().as_str(), "Fund <b>solar</b>");
    let e = drafts.answer(d.clone(), "   ", t(2)).await.unwrap_err();
    assert!(e.to_string().contains("the body is empty"), "{e}");
    let DraftProgress::Next(d) = drafts.answer(d, "Spend it on panels.", t(3)).await.unwrap() else { panic!() };
    assert_eq!(d.step(), DraftStep::Choices);

    // Not linked: refused, nothing changes.
    let e = drafts.answer(d.clone(), "Yes, No", t(4)).await.unwrap_err();
    assert!(matches!(e, GovernanceError::NotLinked(_)), "{e}");
    assert_eq!(drafts.get(&account).await.unwrap(), Some(d));
}
