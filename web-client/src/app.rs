//! The page: one store, the relay and tick hooks, and the cards.

use crate::components::{
    AccountCard, BackupCard, BackupPrompt, BlockTreeCard, ChainStatus, DeveloperCorner,
    ExplorerCard, Header, HistoryCard, LabCard, MempoolCard, MineCard, Notices, QuestsCard,
    SendCard, SetupCard, SigLabCard, Tabs, UnlockCard,
};
use crate::hooks::{use_auto_lock, use_miners, use_relay, use_tick, use_work};
use crate::state::{Action, Section, State, Wallet};
use crate::{browser, key_tasks, sign_bench, storage};
use yew::prelude::*;

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| State {
        quests: storage::load_quests(),
        ..State::new(
            storage::load().map(|file| file.address),
            storage::load_labels(),
        )
        .with_cores(browser::cores())
    });
    use_relay(&state);
    use_miners(&state);
    use_tick(&state);
    use_work(&state);
    use_effect_with(state.labels.clone(), |labels| storage::save_labels(labels));
    use_effect_with(state.quests.clone(), storage::save_quests);
    let activity = use_auto_lock(state.wallet.unlocked().is_some(), state.dispatcher());
    let dispatch: Callback<Action> = {
        let state = state.clone();
        Callback::from(move |action| state.dispatch(action))
    };
    let act = |action: Action| dispatch.reform(move |()| action.clone());
    let busy = state.busy.is_some();
    let names = state.names();
    let onshowtx = dispatch.reform(Action::ShowTx);
    let onshowaddress = dispatch.reform(Action::ShowAddress);
    let difficulty = state.info.as_ref().map(|i| i.difficulty);

    let wallet = match &state.wallet {
        Wallet::None => html! {
            <SetupCard
                oncreate={{ let d = dispatch.clone(); Callback::from(move |(p, again)| key_tasks::create(d.clone(), p, again)) }}
                onimportkey={{ let d = dispatch.clone(); Callback::from(move |(k, p, again)| key_tasks::import_key(d.clone(), k, p, again)) }}
                onimportbackup={{ let d = dispatch.clone(); Callback::from(move |t| key_tasks::import_backup(d.clone(), t)) }}
                {busy} />
        },
        Wallet::Locked { address } => html! {
            <UnlockCard address={*address}
                onunlock={{ let d = dispatch.clone(); Callback::from(move |p| key_tasks::unlock(d.clone(), p)) }}
                onforget={{ let d = dispatch.clone(); Callback::from(move |()| key_tasks::forget(d.clone())) }}
                {busy} />
        },
        Wallet::Unlocked { .. } if state.backup_prompt => html! {
            <BackupPrompt
                ondownload={{ let d = dispatch.clone(); Callback::from(move |()| {
                    key_tasks::export_backup(d.clone());
                    d.emit(Action::BackupDone);
                }) }}
                onskip={act(Action::BackupDone)} />
        },
        Wallet::Unlocked { address, .. } => {
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
                        spendable={state.spendable()}
                        incoming_pending={state.own_pending.as_ref().map(|p| p.incoming_total())}
                        now_ms={state.now_ms}
                        faucet_available={state.faucet_available()} faucet={state.faucet.clone()}
                        oncopy={Callback::from(|text: String| browser::copy(&text))}
                        onfaucet={act(Action::Faucet)} onlock={act(Action::Lock)} />
                    <SendCard own={*address} spendable={state.spendable()} step={state.send.clone()}
                        onreview={dispatch.reform(|(to, amount)| Action::Review { to, amount })}
                        onconfirm={act(Action::Confirm)} onreset={act(Action::ResetSend)}
                        onshowtx={onshowtx.clone()} />
                    <HistoryCard own={*address} history={state.history.clone()} offset={state.history_offset}
                        onpage={dispatch.reform(Action::HistoryPage)} onshowtx={onshowtx.clone()}
                        onshowblock={dispatch.reform(Action::ShowBlock)}
                        onshowaddress={onshowaddress.clone()} names={names.clone()}
                        tip_height={state.info.as_ref().map(|i| i.height)} />
                    <BackupCard
                        onexport={{ let d = dispatch.clone(); Callback::from(move |()| key_tasks::export_backup(d.clone())) }}
                        {onreveal}
                        oncopy={Callback::from(|text: String| browser::copy(&text))} />
                </>
            }
        }
    };

    let section = match state.section {
        Section::Wallet => html! {
            <main class="grid">
                { wallet }
                <ChainStatus info={state.info.clone()} last_event={state.last_event}
                    subscribed={state.subscribed} validation={state.validation.clone()}
                    onvalidate={act(Action::Validate)} />
                <MempoolCard mempool={state.mempool.clone()} names={names.clone()}
                    onshowtx={onshowtx.clone()} onshowaddress={onshowaddress.clone()} />
                <ExplorerCard explorer={state.explorer.clone()}
                    chain_id={state.info.as_ref().map(|i| i.chain_id)}
                    tip={state.info.as_ref().map(|i| i.height)}
                    {names}
                    onsearch={dispatch.reform(Action::Search)}
                    onshowblock={dispatch.reform(Action::ShowBlock)}
                    {onshowtx} {onshowaddress}
                    onaddresspage={dispatch.reform(Action::AddressPage)}
                    onblockspage={dispatch.reform(Action::BlocksPage)}
                    onlabel={dispatch.reform(|(a, l)| Action::Label(a, l))}
                    onclose={act(Action::CloseDetail)}
                    proof={state.proof.clone()} onproof={dispatch.reform(Action::AskProof)}
                    glass={state.glass.clone()} difficulty={difficulty}
                    replay_progress={state.replay.progress()} replay_ready={state.replay.ready().is_some()}
                    replay_error={state.replay.error.as_ref().map(ToString::to_string)}
                    onlab={act(Action::LabOpen)} />
                <DeveloperCorner onbench={Callback::from(|()| sign_bench::report())} />
            </main>
        },
        Section::Mine => html! {
            <main class="grid">
                <MineCard mining={state.mining.clone()} unlocked={state.wallet.unlocked().is_some()}
                    difficulty={state.info.as_ref().map(|i| i.difficulty)}
                    onstart={dispatch.reform(|keep| Action::MineStart { keep })}
                    onstop={act(Action::MineStop)}
                    onthreads={dispatch.reform(Action::MineThreads)}
                    oncap={dispatch.reform(Action::MineCap)} />
            </main>
        },
        Section::Tree => html! {
            <main class="grid">
                <BlockTreeCard tree={state.tree.clone()} own={state.wallet.unlocked()}
                    difficulty={state.info.as_ref().map(|i| i.difficulty)}
                    onshow={dispatch.reform(Action::ShowBlockHash)} />
            </main>
        },
        Section::Signatures => html! {
            <SigLabCard lab={state.sig_lab.clone()} unlocked={state.wallet.unlocked().is_some()}
                onedit={dispatch.reform(Action::SigEdit)} onsign={act(Action::SigSign)}
                onverify={act(Action::SigVerify)} onfliptext={act(Action::SigFlipText)}
                onflipsignature={act(Action::SigFlipSignature)} ontrial={dispatch.reform(Action::Trial)} />
        },
        Section::Quests => html! { <QuestsCard done={state.quests.clone()} /> },
        Section::Lab => html! {
            <LabCard lab={state.lab.clone()} {difficulty} tip={state.info.as_ref().map(|i| i.height)}
                replay_progress={state.replay.progress()} replay_ready={state.replay.ready().is_some()}
                replay_error={state.replay.error.as_ref().map(ToString::to_string)}
                onedit={dispatch.reform(|(block, tx, field, text)| Action::LabEdit { block, tx, field, text })}
                onremine={act(Action::LabRemine)} onsubmit={act(Action::LabSubmit)}
                onreset={act(Action::LabReset)} />
        },
    };

    html! {
        <div class="app" onkeydown={activity.reform(|_: KeyboardEvent| ())}
            onpointerdown={activity.reform(|_: PointerEvent| ())}>
            <Header link={state.link} />
            <Notices error={state.error.clone().map(AttrValue::from)} busy={state.busy.clone().map(AttrValue::from)}
                received={state.received.clone().map(AttrValue::from)}
                ondismiss={act(Action::DismissError)} ondismissreceived={act(Action::DismissReceived)} />
            <Tabs open={state.section} onopen={dispatch.reform(Action::Open)} />
            { section }
            <footer class="muted">
                { "Your key stays in this tab: transfers are signed here, and only signed transfers are sent. " }
                { "To try a second wallet, open this page in a private window or another browser profile." }
            </footer>
        </div>
    }
}
