// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title iodao epoch distributor
/// @notice Pays epochs' payouts in one asset — native IOTX (token ==
/// address(0)) or one ERC-20 — in one mode fixed at deployment: pushed in
/// batches by the DAO's executor key, or claimed by recipients with Merkle
/// proofs. One mode per instance keeps each path cheap: a claim never has
/// to account for funds a push might spend, and the other way round.
/// @dev Exactly-once is enforced here, not only by the executor's journal:
/// a batch number of an epoch can be paid once, a claim index once. Batch
/// payouts emit one event per batch; the recipients and amounts are the
/// transaction's public calldata, which is what a verifier replays.
contract Distributor is Ownable {
    /// @notice The asset paid: address(0) for native IOTX.
    address public immutable token;

    /// @notice True: claim mode (setRoot/claim); false: push mode (distribute).
    bool public immutable claimMode;

    /// @dev epoch => word => bitmap of paid batch numbers.
    mapping(uint64 => mapping(uint256 => uint256)) private paidBatches;

    /// @notice Claim mode: each epoch's Merkle root.
    mapping(uint64 => bytes32) public roots;

    /// @dev epoch => word => bitmap of claimed leaf indices.
    mapping(uint64 => mapping(uint256 => uint256)) private claimedBits;

    /// @notice Native payouts a recipient's contract refused, to withdraw.
    mapping(address => uint256) public owed;

    /// @notice Push mode: the sum of `owed`, funds a batch may not spend.
    uint256 public reserved;

    event BatchPaid(uint64 indexed epoch, uint32 indexed batch, uint256 count, uint256 total);
    event Owed(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event RootSet(uint64 indexed epoch, bytes32 root, uint256 total);
    event Claimed(uint64 indexed epoch, uint256 index, address account, uint256 amount);

    error BatchAlreadyPaid(uint64 epoch, uint32 batch);
    error LengthMismatch();
    error InsufficientFunds(uint256 needed, uint256 available);
    error TransferFailed();
    error NotAToken(address token);
    error RootAlreadySet(uint64 epoch);
    error NoRoot(uint64 epoch);
    error AlreadyClaimed(uint64 epoch, uint256 index);
    error InvalidProof();
    error NothingOwed();
    error WrongMode(bool claimMode);

    constructor(address owner_, address token_, bool claimMode_) Ownable(owner_) {
        if (token_ != address(0) && token_.code.length == 0) revert NotAToken(token_);
        token = token_;
        claimMode = claimMode_;
    }

    modifier mode(bool claims) {
        if (claimMode != claims) revert WrongMode(claimMode);
        _;
    }

    /// @notice Funds for native payouts.
    receive() external payable {}

    /// @notice Whether batch `batch` of `epoch` has been paid.
    function isBatchPaid(uint64 epoch, uint32 batch) external view returns (bool) {
        return paidBatches[epoch][batch >> 8] & (1 << (batch & 0xff)) != 0;
    }

    /// @notice Pays one batch of an epoch; a batch pays once.
    function distribute(uint64 epoch, uint32 batch, address[] calldata recipients, uint256[] calldata amounts)
        external
        payable
        onlyOwner
        mode(false)
    {
        uint256 n = recipients.length;
        if (n != amounts.length) revert LengthMismatch();
        uint256 word = batch >> 8;
        uint256 bit = 1 << (batch & 0xff);
        uint256 bits = paidBatches[epoch][word];
        if (bits & bit != 0) revert BatchAlreadyPaid(epoch, batch);
        paidBatches[epoch][word] = bits | bit;

        uint256 total;
        if (token == address(0)) {
            total = _payNative(recipients, amounts);
        } else {
            total = _payToken(recipients, amounts);
        }
        emit BatchPaid(epoch, batch, n, total);
    }

    /// @dev Each transfer gets only the 2 300-gas stipend: enough for an
    /// account or a plain receive(), too little for a recipient to grief the
    /// batch. A refusal is credited to `owed` instead of reverting. The
    /// funds are checked once at the end: if the batch needed more than the
    /// free balance the whole transaction reverts, so a transfer that failed
    /// for want of funds is never credited.
    function _payNative(address[] calldata recipients, uint256[] calldata amounts) private returns (uint256 total) {
        uint256 before = address(this).balance;
        uint256 refused;
        bytes32 owedEvent = Owed.selector;
        assembly ("memory-safe") {
            let n := amounts.length
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let to := and(calldataload(add(recipients.offset, shl(5, i))), 0xffffffffffffffffffffffffffffffffffffffff)
                let amount := calldataload(add(amounts.offset, shl(5, i)))
                total := add(total, amount)
                if lt(total, amount) { revert(0, 0) }
                if iszero(call(0, to, amount, 0, 0, 0, 0)) {
                    // owed[to] += amount
                    mstore(0, to)
                    mstore(0x20, owed.slot)
                    let slot := keccak256(0, 0x40)
                    sstore(slot, add(sload(slot), amount))
                    refused := add(refused, amount)
                    mstore(0, amount)
                    log2(0, 0x20, owedEvent, to)
                }
            }
        }
        uint256 available = before - reserved;
        if (total > available) revert InsufficientFunds(total, available);
        if (refused != 0) reserved += refused;
    }

    /// @dev transfer(to, amount) per recipient with one reused call buffer;
    /// success means no return data or a true word (as SafeERC20 checks).
    function _payToken(address[] calldata recipients, uint256[] calldata amounts) private returns (uint256 total) {
        address t = token;
        bytes4 failed = TransferFailed.selector;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 0xa9059cbb00000000000000000000000000000000000000000000000000000000)
            let n := amounts.length
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let amount := calldataload(add(amounts.offset, shl(5, i)))
                mstore(add(ptr, 4), calldataload(add(recipients.offset, shl(5, i))))
                mstore(add(ptr, 36), amount)
                let ok := call(gas(), t, 0, ptr, 68, 0, 32)
                if iszero(and(ok, or(iszero(returndatasize()), and(gt(returndatasize(), 31), eq(mload(0), 1))))) {
                    mstore(0, failed)
                    revert(0, 4)
                }
                total := add(total, amount)
            }
        }
    }

    /// @notice Withdraws native payouts a recipient's contract refused.
    function withdraw() external {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingOwed();
        owed[msg.sender] = 0;
        reserved -= amount;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
        emit Withdrawn(msg.sender, amount);
    }

    /// @notice Publishes an epoch's Merkle root (once). `total` is what its
    /// leaves add up to; the contract must hold it.
    function setRoot(uint64 epoch, bytes32 root, uint256 total) external onlyOwner mode(true) {
        if (roots[epoch] != bytes32(0)) revert RootAlreadySet(epoch);
        uint256 available = _balance();
        if (total > available) revert InsufficientFunds(total, available);
        roots[epoch] = root;
        emit RootSet(epoch, root, total);
    }

    /// @notice Whether leaf `index` of `epoch` has been claimed.
    function isClaimed(uint64 epoch, uint256 index) public view returns (bool) {
        return claimedBits[epoch][index >> 8] & (1 << (index & 0xff)) != 0;
    }

    /// @notice Pays `account` its leaf of `epoch` (anyone may submit it).
    /// Leaves are OpenZeppelin StandardMerkleTree leaves of
    /// (uint256 index, address account, uint256 amount).
    function claim(uint64 epoch, uint256 index, address account, uint256 amount, bytes32[] calldata proof)
        external
        mode(true)
    {
        bytes32 root = roots[epoch];
        if (root == bytes32(0)) revert NoRoot(epoch);
        uint256 word = index >> 8;
        uint256 bit = 1 << (index & 0xff);
        uint256 bits = claimedBits[epoch][word];
        if (bits & bit != 0) revert AlreadyClaimed(epoch, index);
        // keccak256(bytes.concat(keccak256(abi.encode(index, account, amount)))),
        // hashed in scratch memory rather than through two allocations.
        bytes32 leaf;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, index)
            mstore(add(p, 0x20), and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(p, 0x40), amount)
            mstore(0, keccak256(p, 0x60))
            leaf := keccak256(0, 0x20)
        }
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidProof();
        claimedBits[epoch][word] = bits | bit;
        _pay(account, amount);
        emit Claimed(epoch, index, account, amount);
    }

    function _balance() private view returns (uint256) {
        if (token == address(0)) return address(this).balance;
        (bool ok, bytes memory data) = token.staticcall(abi.encodeWithSelector(0x70a08231, address(this)));
        if (!ok || data.length < 32) revert TransferFailed();
        return abi.decode(data, (uint256));
    }

    function _pay(address to, uint256 amount) private {
        if (token == address(0)) {
            bool ok;
            assembly ("memory-safe") {
                ok := call(0, to, amount, 0, 0, 0, 0)
            }
            if (!ok) {
                owed[to] += amount;
                reserved += amount;
                emit Owed(to, amount);
            }
            return;
        }
        address t = token;
        bool sent;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, 0xa9059cbb00000000000000000000000000000000000000000000000000000000)
            mstore(add(p, 4), and(to, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(p, 36), amount)
            let ok := call(gas(), t, 0, p, 68, 0, 32)
            sent := and(ok, or(iszero(returndatasize()), and(gt(returndatasize(), 31), eq(mload(0), 1))))
        }
        if (!sent) revert TransferFailed();
    }
}
