//! The OU tree: each declared account class gets an OU of its own, added
//! after the OUs that existed before, so existing OU ids do not move.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_model::OuKind;
use landfall_spec::types::AccountClass;

#[test]
fn each_declared_account_class_has_its_own_ou_after_the_others() {
    let model = landfall_model::reference()
        .model
        .expect("the reference platform resolves");
    let first_class = model
        .organizational_units
        .iter()
        .position(|ou| ou.kind == OuKind::Class)
        .expect("the reference declares core accounts");
    assert!(model.organizational_units[first_class..]
        .iter()
        .all(|ou| ou.kind == OuKind::Class));
    for account in model.member_accounts() {
        let ou = model.ou(account.ou);
        match account.class {
            AccountClass::Workload => assert_ne!(ou.kind, OuKind::Class, "{}", account.name),
            AccountClass::Sandbox => assert_eq!(ou.kind, OuKind::Sandbox, "{}", account.name),
            class => {
                assert_eq!(ou.class, Some(class), "{}", account.name);
                assert_eq!(
                    model.ou(ou.parent.unwrap()).kind,
                    OuKind::Core,
                    "{}",
                    account.name
                );
                // No other class shares it.
                assert!(model
                    .member_accounts()
                    .filter(|other| other.ou == account.ou)
                    .all(|other| other.class == class));
            }
        }
    }
}
