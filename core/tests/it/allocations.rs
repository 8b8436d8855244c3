use std::sync::Arc;

use iodao_core::{Actor, AllocationError, Allocations, AllocationsError, Amount, Category, CsvStakeSource};

use crate::helpers::*;

fn service(g: &TestGov) -> Allocations {
    let stake = CsvStakeSource::from_entries([
        (alice(), Amount::from_iotx(100)),
        (bob(), Amount::from_iotx(60)),
        (carol(), Amount::from_iotx(40)),
    ]);
    Allocations::new(g.gov.store().clone(), Arc::new(stake))
}

#[tokio::test]
async fn allocation_votes_stand_until_changed_and_weight_by_stake_at_the_block() {
    let g = TestGov::new().await;
    let a = service(&g);
    let solar = a.add_recipient("solar-farms", Category::DeviceProgram, carol(), &Actor::Cli, t(0)).await.unwrap();
    let dapp = a.add_recipient("swap-dapp", Category::Dapp, bob(), &Actor::Cli, t(0)).await.unwrap();

    a.set(alice(), "solar-farms=60 swap-dapp=40", t(1)).await.unwrap();
    a.set(bob(), &format!("{}=100", dapp.id), t(2)).await.unwrap();
    a.set(carol(), "1=25", t(3)).await.unwrap();
    assert_eq!(a.of(alice()).await.unwrap().entries(), &[(solar.id, 6000), (dapp.id, 4000)]);

    let w = a.weights_at(4242).await.unwrap();
    // solar: 100 × 60 % + 40 × 25 % = 70; dapp: 100 × 40 % + 60 × 100 % = 100.
    assert_eq!(w.get(&solar.id), Some(&Amount::from_iotx(70)));
    assert_eq!(w.get(&dapp.id), Some(&Amount::from_iotx(100)));

    // Changing replaces the whole split; an empty one withdraws it.
    a.set(alice(), "swap-dapp=10", t(4)).await.unwrap();
    a.set(bob(), "", t(5)).await.unwrap();
    let w = a.weights_at(4242).await.unwrap();
    assert_eq!(w.get(&solar.id), Some(&Amount::from_iotx(10)));
    assert_eq!(w.get(&dapp.id), Some(&Amount::from_iotx(10)));
    assert!(a.of(bob()).await.unwrap().is_empty());

    let actions: Vec<String> = g.gov.audit_entries(0, 100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "allocation.set").count(), 5);
    assert_eq!(actions.iter().filter(|a| *a == "recipient.added").count(), 2);
    g.gov.verify_audit().await.unwrap();
}

#[tokio::test]
async fn a_bad_allocation_changes_nothing() {
    let g = TestGov::new().await;
    let a = service(&g);
    let solar = a.add_recipient("solar-farms", Category::DeviceProgram, carol(), &Actor::Cli, t(0)).await.unwrap();
    a.set(alice(), "1=50", t(1)).await.unwrap();
    let err = a.set(alice(), "1=50 2=10", t(2)).await.unwrap_err();
    assert!(matches!(err, AllocationsError::Allocation(AllocationError::UnknownRecipient(_))), "{err}");
    let err = a.set(alice(), "1=100.01", t(2)).await.unwrap_err();
    assert!(matches!(err, AllocationsError::Allocation(AllocationError::BadPair(_))), "{err}");
    assert_eq!(a.of(alice()).await.unwrap().entries(), &[(solar.id, 5000)]);
    let err = a.add_recipient("solar-farms", Category::Dapp, bob(), &Actor::Cli, t(3)).await.unwrap_err();
    assert!(err.to_string().contains("exists already"), "{err}");
}

#[tokio::test]
async fn a_recipients_name_is_stored_without_format_characters_and_a_number_is_refused() {
    let g = TestGov::new().await;
    let a = service(&g);
    // A zero-width space would make a second `solar-farms` that looks the same.
    let solar = a.add_recipient("\u{202e}solar-farms\u{200b}", Category::DeviceProgram, carol(), &Actor::Cli, t(0));
    assert_eq!(solar.await.unwrap().name, "solar-farms");
    let twin = a.add_recipient("solar\u{200b}-farms", Category::Dapp, bob(), &Actor::Cli, t(1)).await.unwrap_err();
    assert!(twin.to_string().contains("exists already"), "{twin}");
    let err = a.add_recipient("2", Category::Dapp, bob(), &Actor::Cli, t(1)).await.unwrap_err();
    assert!(matches!(err, AllocationsError::Name(iodao_core::RecipientNameError::Numeric(_))), "{err}");
    let err = a.add_recipient("swap dapp", Category::Dapp, bob(), &Actor::Cli, t(1)).await.unwrap_err();
    assert!(matches!(err, AllocationsError::Name(iodao_core::RecipientNameError::Separator { .. })), "{err}");
    assert_eq!(a.recipients().await.unwrap().len(), 1);
    a.set(alice(), "solar-farms=100", t(2)).await.unwrap();
}
