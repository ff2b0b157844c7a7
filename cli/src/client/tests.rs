//! The client against fake servers on `127.0.0.1:0` that misbehave.

use super::{Client, ClientError};
use simplechain_core::protocol::MAX_SERVER_LINE;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// A server that answers every connection with one endless line and returns how many
/// bytes it managed to write before the client hung up.
async fn endless_line_server() -> (String, tokio::task::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let written = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let chunk = vec![b'x'; 1 << 20];
        let mut written = 0;
        while socket.write_all(&chunk).await.is_ok() {
            written += chunk.len();
        }
        written
    });
    (address, written)
}

#[tokio::test]
async fn an_endless_line_is_an_error_after_the_limit_not_a_growing_buffer() {
    let (address, written) = endless_line_server().await;
    let mut client = Client::connect(&address).await.unwrap();
    let read = tokio::time::timeout(Duration::from_secs(60), client.read_raw_line())
        .await
        .expect("the client kept reading an endless line");
    match read {
        Err(ClientError::LineTooLong { limit, .. }) => assert_eq!(limit, MAX_SERVER_LINE),
        other => panic!("expected LineTooLong, got {other:?}"),
    }
    drop(client);
    // The client stopped reading at the limit: what the server wrote beyond it is no
    // more than what the sockets' buffers hold.
    let written = written.await.unwrap();
    assert!(
        written <= MAX_SERVER_LINE + (32 << 20),
        "the server wrote {written} bytes"
    );
    assert_eq!(
        ClientError::LineTooLong {
            address: address.clone(),
            limit: MAX_SERVER_LINE
        }
        .to_string(),
        format!(
            "the server at {address} sent a line over 67108864 bytes; fetch the chain in \
             pages instead (`simplechain blocks --from N`)"
        )
    );
}
