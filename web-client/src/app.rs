//! The page: one store, the relay hook, and the cards.

use crate::components::{
    AccountCard, BackupCard, ChainStatus, ExplorerCard, Header, HistoryCard, Notices, SendCard,
    SetupCard, UnlockCard,
};
use crate::hooks::{use_auto_lock, use_relay};
use crate::state::{Action, State, Wallet};
use crate::{browser, key_tasks, sign_bench, storage};
use yew::prelude::*;

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| State::new(storage::load().map(|file| file.address)));
    use_relay(&state);
    let activity = use_auto_lock(state.wallet.unlocked().is_some(), state.dispatcher());
    let dispatch: Callback<Action> = {
        let state = state.clone();
        Callback::from(move |action| state.dispatch(action))
    };
    let act = |action: Action| dispatch.reform(move |()| action.clone());
    let busy = state.busy.is_some();

    let wallet = match &state.wallet {
        Wallet::None => html! {
            <SetupCard
                oncreate={{ let d = dispatch.clone(); Callback::from(move |p| key_tasks::create(d.clone(), p)) }}
                onimportkey={{ let d = dispatch.clone(); Callback::from(move |(k, p)| key_tasks::import_key(d.clone(), k, p)) }}
                onimportbackup={{ let d = dispatch.clone(); Callback::from(move |t| key_tasks::import_backup(d.clone(), t)) }}
                {busy} />
        },
        Wallet::Locked { address } => html! {
            <UnlockCard address={*address}
                onunlock={{ let d = dispatch.clone(); Callback::from(move |p| key_tasks::unlock(d.clone(), p)) }}
                onforget={{ let d = dispatch.clone(); Callback::from(move |()| key_tasks::forget(d.clone())) }}
                {busy} />
        },
        Wallet::Unlocked { address, .. } => {
            let onshowtx = dispatch.reform(Action::ShowTx);
            let onreveal = {
                let state = state.clone();
                Callback::from(move |()| match &state.wallet {
                    Wallet::Unlocked { key, .. } => key_tasks::secret_hex(&key.0),
                    _ => String::new(),
                })
            };
            html! {
                <>
                    <AccountCard address={*address} account={state.account.clone()}
                        faucet_available={state.faucet_available()} faucet={state.faucet.clone()}
                        oncopy={Callback::from(|text: String| browser::copy(&text))}
                        onfaucet={act(Action::Faucet)} onlock={act(Action::Lock)} />
                    <SendCard own={*address} spendable={state.spendable()} step={state.send.clone()}
                        onreview={dispatch.reform(|(to, amount)| Action::Review { to, amount })}
                        onconfirm={act(Action::Confirm)} onreset={act(Action::ResetSend)}
                        onshowtx={onshowtx.clone()} />
                    <HistoryCard own={*address} history={state.history.clone()} offset={state.history_offset}
                        onpage={dispatch.reform(Action::HistoryPage)} {onshowtx} />
                    <BackupCard
                        onexport={{ let d = dispatch.clone(); Callback::from(move |()| key_tasks::export_backup(d.clone())) }}
                        {onreveal}
                        oncopy={Callback::from(|text: String| browser::copy(&text))} />
                </>
            }
        }
    };

    html! {
        <div class="app" onkeydown={activity.reform(|_: KeyboardEvent| ())}
            onpointerdown={activity.reform(|_: PointerEvent| ())}>
            <Header link={state.link} />
            <Notices error={state.error.clone().map(AttrValue::from)} busy={state.busy.clone().map(AttrValue::from)}
                ondismiss={act(Action::DismissError)} />
            <main class="grid">
                { wallet }
                <ChainStatus info={state.info.clone()} last_event={state.last_event}
                    subscribed={state.subscribed} validation={state.validation.clone()}
                    onvalidate={act(Action::Validate)}
                    onbench={Callback::from(|()| sign_bench::report())} />
                <ExplorerCard explorer={state.explorer.clone()}
                    chain_id={state.info.as_ref().map(|i| i.chain_id)}
                    onshowblock={dispatch.reform(Action::ShowBlock)}
                    onshowtx={dispatch.reform(Action::ShowTx)}
                    onclose={act(Action::CloseDetail)} />
            </main>
            <footer class="muted">
                { "Your key stays in this tab: transfers are signed here, and only signed transfers are sent." }
            </footer>
        </div>
    }
}
