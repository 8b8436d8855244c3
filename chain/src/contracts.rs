//! Bindings of the committed contract artifacts (contracts/out), generated
//! by alloy's `sol!` from the same JSON the freshness test checks.

#![allow(missing_docs)]

alloy::sol!(
    #[sol(rpc, all_derives)]
    Distributor,
    "../contracts/out/Distributor.json"
);
