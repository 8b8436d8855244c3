// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice A recipient contract that refuses native payments until told to
/// accept them, and forwards calls (so that it can withdraw what it is
/// owed), for tests of the Distributor's `owed`, `withdraw` and `withdrawTo`.
contract Refuser {
    bool public accepting;

    function setAccepting(bool yes) external {
        accepting = yes;
    }

    /// @notice Calls `target` with `data`, bubbling a revert up as it is.
    function forward(address target, bytes calldata data) external {
        (bool ok, bytes memory err) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(err, 0x20), mload(err))
            }
        }
    }

    receive() external payable {
        require(accepting, "refused");
    }
}
