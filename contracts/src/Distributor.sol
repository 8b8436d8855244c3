// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title iodao epoch distributor
/// @notice Pays epochs' payouts in one asset — native IOTX (token ==
/// address(0)) or one ERC-20 — in one mode fixed at deployment: pushed in
/// batches by the DAO's executor key, or claimed by recipients with Merkle
/// proofs.
/// @dev One mode per instance keeps each path cheap: a push batch never has
/// to subtract what open claim epochs still owe (a storage read per open
/// epoch on every batch), and a claim never has to update a contract-wide
/// counter that batches would read (a second storage write per claim).
/// Deploy one instance per (asset, mode).
///
/// Exactly-once is enforced here, not only by the executor's journal: a batch
/// number of an epoch pays once, a claim index once. A batch emits one event,
/// not one per recipient: the recipients and amounts are the transaction's
/// public calldata, which is what a verifier replays, and an ERC-20 already
/// logs a Transfer per recipient; a per-recipient event would add about
/// 1 400 gas per recipient (14 % of a native payout) for no new information.
contract Distributor is Ownable {
    /// @notice Native payouts credited to `owed` and not yet withdrawn: funds
    /// that neither a batch nor a new root may spend.
    /// @dev Declared first so that it shares storage slot 0 with Ownable's
    /// owner: a batch's onlyOwner check has already paid for reading that
    /// slot, so reading `reserved` costs 100 gas instead of 2 100. 96 bits
    /// hold 7.9e28 wei, several times IOTX's whole supply; it only ever
    /// counts native payouts (a refused ERC-20 transfer reverts instead).
    uint96 public reserved;

    /// @notice The asset paid: address(0) for native IOTX.
    address public immutable token;

    /// @notice True: claim mode (setRoot/claim); false: push mode (distribute).
    bool public immutable claimMode;

    /// @dev epoch => word => bitmap of paid batch numbers: 256 batches per
    /// word, so an epoch's first batch pays for one fresh storage word and
    /// the next 255 only update it.
    mapping(uint64 => mapping(uint256 => uint256)) private paidBatches;

    /// @notice Claim mode: each epoch's Merkle root (zero: not set).
    mapping(uint64 => bytes32) public roots;

    /// @notice Claim mode: what an epoch's claims may still pay. It starts at
    /// the `total` given to setRoot, so an epoch's claims never exceed it.
    mapping(uint64 => uint256) public remaining;

    /// @dev Claim mode: the epochs whose `remaining` may be non-zero, summed
    /// by setRoot so that a new root never commits funds an older one owes.
    uint64[] private openEpochs;

    /// @dev epoch => word => bitmap of claimed leaf indices.
    mapping(uint64 => mapping(uint256 => uint256)) private claimedBits;

    /// @notice Native payouts a recipient's contract refused, to withdraw.
    mapping(address => uint256) public owed;

    /// @notice A batch was paid: `count` recipients, `total` of the asset.
    event BatchPaid(uint64 indexed epoch, uint32 indexed batch, uint256 count, uint256 total);
    /// @notice A native transfer was refused; `account` may withdraw it.
    event Owed(address indexed account, uint256 amount);
    /// @notice `account` withdrew what it was owed (to itself or elsewhere).
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice An epoch's claims opened: leaves under `root` adding up to `total`.
    event RootSet(uint64 indexed epoch, bytes32 root, uint256 total);
    /// @notice Leaf `index` of `epoch` paid `amount` to `account`.
    event Claimed(uint64 indexed epoch, uint256 index, address account, uint256 amount);

    /// @notice This (epoch, batch) was paid already; nothing was sent.
    error BatchAlreadyPaid(uint64 epoch, uint32 batch);
    /// @notice recipients and amounts differ in length (or are one array).
    error LengthMismatch();
    /// @notice The free balance (the balance less `reserved` and, in claim
    /// mode, less what open epochs still owe) cannot cover `needed`.
    error InsufficientFunds(uint256 needed, uint256 available);
    /// @notice An ERC-20 transfer or balance read failed, or the recipient
    /// of a withdrawal refused it.
    error TransferFailed();
    /// @notice The token address has no code.
    error NotAToken(address token);
    /// @notice Native value sent to an instance that pays an ERC-20.
    error UnexpectedValue();
    /// @notice The epoch's root was set already; roots never change.
    error RootAlreadySet(uint64 epoch);
    /// @notice A zero root is the "not set" marker and cannot be set.
    error ZeroRoot();
    /// @notice No root was set for this epoch.
    error NoRoot(uint64 epoch);
    /// @notice The leaf was claimed already.
    error AlreadyClaimed(uint64 epoch, uint256 index);
    /// @notice The proof does not lead from the leaf to the epoch's root.
    error InvalidProof();
    /// @notice The claim would take the epoch past the `total` of its root.
    error ExceedsTotal(uint64 epoch, uint256 amount, uint256 remaining);
    /// @notice Nothing is owed to the caller.
    error NothingOwed();
    /// @notice The function belongs to the other mode.
    error WrongMode(bool claimMode);
    /// @notice renounceOwnership is disabled.
    error RenounceDisabled();

    /// @param owner_ the DAO's executor key: the only sender of batches and roots.
    /// @param token_ the ERC-20 paid, or address(0) for native IOTX.
    /// @param claimMode_ true for Merkle claims, false for pushed batches.
    constructor(address owner_, address token_, bool claimMode_) Ownable(owner_) {
        if (token_ != address(0) && token_.code.length == 0) revert NotAToken(token_);
        token = token_;
        claimMode = claimMode_;
    }

    modifier mode(bool claims) {
        if (claimMode != claims) revert WrongMode(claimMode);
        _;
    }

    /// @notice Funds for native payouts; refused by an ERC-20 instance,
    /// where native value would be stranded.
    receive() external payable {
        if (token != address(0)) revert UnexpectedValue();
    }

    /// @notice Disabled: without an owner no batch or root could ever be
    /// sent again and the funds would be stranded. Hand the contract over
    /// with transferOwnership instead.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ----------------------------------------------------------------- push

    /// @notice Whether batch `batch` of `epoch` has been paid.
    function isBatchPaid(uint64 epoch, uint32 batch) external view returns (bool) {
        return paidBatches[epoch][batch >> 8] & (1 << (batch & 0xff)) != 0;
    }

    /// @notice Pays one batch of an epoch from the contract's balance (native
    /// value sent with the call adds to it); a batch pays once.
    /// @dev The batch bit is set before any transfer, so a re-entrant call
    /// for the same batch fails; the whole batch reverts if funds are short.
    function distribute(uint64 epoch, uint32 batch, address[] calldata recipients, uint256[] calldata amounts)
        external
        payable
        onlyOwner
        mode(false)
    {
        uint256 n = amounts.length;
        uint256 pos;
        uint256 apart;
        assembly ("memory-safe") {
            pos := amounts.offset
            apart := sub(recipients.offset, amounts.offset)
        }
        // apart == 0: the two arrays are one (hand-made calldata can do it).
        if (recipients.length != n || apart == 0) revert LengthMismatch();
        _startBatch(epoch, batch);
        emit BatchPaid(epoch, batch, n, token == address(0) ? _payNative(pos, n, apart) : _payToken(pos, n, apart));
    }

    /// @notice `distribute` with each payout packed in one word: the
    /// recipient in the high 160 bits, the amount in the low 96
    /// (`uint256(uint160(account)) << 96 | amount`, amounts below 2^96 wei).
    /// @dev Half the calldata of `distribute`: 32 bytes a recipient instead
    /// of 64. That saves about 130 gas a recipient on Ethereum's schedule
    /// and 3 200 on IoTeX's, which charges 100 gas for every calldata byte.
    /// Same batch bitmap as `distribute`: a batch number pays once whichever
    /// function paid it.
    function distributePacked(uint64 epoch, uint32 batch, uint256[] calldata payouts)
        external
        payable
        onlyOwner
        mode(false)
    {
        _startBatch(epoch, batch);
        uint256 n = payouts.length;
        uint256 pos;
        assembly ("memory-safe") {
            pos := payouts.offset
        }
        emit BatchPaid(epoch, batch, n, token == address(0) ? _payNative(pos, n, 0) : _payToken(pos, n, 0));
    }

    /// @dev Marks the batch paid (reverting if it was) and refuses native
    /// value sent to an ERC-20 instance, where it would be stranded.
    function _startBatch(uint64 epoch, uint32 batch) private {
        if (msg.value != 0 && token != address(0)) revert UnexpectedValue();
        uint256 word = batch >> 8;
        uint256 bit = 1 << (batch & 0xff);
        uint256 bits = paidBatches[epoch][word];
        if (bits & bit != 0) revert BatchAlreadyPaid(epoch, batch);
        paidBatches[epoch][word] = bits | bit;
    }

    /// @dev Pays `n` payouts read from calldata at `pos`: with `apart` == 0
    /// packed words, otherwise amounts at `pos` and their recipients `apart`
    /// bytes away (the two arrays of `distribute`).
    ///
    /// Each transfer forwards only the 2 300-gas stipend: enough for an
    /// account or a plain receive(), too little for a recipient to grief the
    /// batch (by reverting, burning gas or re-entering). A refusal is
    /// credited to `owed` (and `reserved`) instead of reverting the batch.
    /// Funds are checked once, at the end: if the batch needed more than the
    /// free balance the whole transaction reverts, so a transfer that failed
    /// for want of funds is never credited.
    function _payNative(uint256 pos, uint256 n, uint256 apart) private returns (uint256 total) {
        uint256 before = address(this).balance;
        uint256 refused;
        bytes32 owedEvent = Owed.selector;
        uint256 owedSlot;
        assembly ("memory-safe") {
            owedSlot := owed.slot
        }
        assembly ("memory-safe") {
            // owed[to] += amount, and the event. No overflow: every owed is
            // bounded by `reserved`, which is checked.
            function refuse(to, amount, slotOfOwed, topic) {
                mstore(0, to)
                mstore(0x20, slotOfOwed)
                let slot := keccak256(0, 0x40)
                sstore(slot, add(sload(slot), amount))
                mstore(0, amount)
                log2(0, 0x20, topic, to)
            }
            let end := add(pos, shl(5, n))
            switch apart
            case 0 {
                // Amounts are below 2^96 and fewer than 2^32: no overflow.
                for {} lt(pos, end) { pos := add(pos, 0x20) } {
                    let w := calldataload(pos)
                    let amount := and(w, 0xffffffffffffffffffffffff)
                    total := add(total, amount)
                    let to := shr(96, w)
                    if iszero(call(0, to, amount, 0, 0, 0, 0)) {
                        refuse(to, amount, owedSlot, owedEvent)
                        refused := add(refused, amount)
                    }
                }
            }
            default {
                // No overflow either: no amount reaches 2^200 (checked once,
                // on the OR of them all) and there are fewer than 2^32.
                let any := 0
                for {} lt(pos, end) { pos := add(pos, 0x20) } {
                    let amount := calldataload(pos)
                    any := or(any, amount)
                    total := add(total, amount)
                    // CALL uses the low 160 bits of `to`. Value and no
                    // data: a plain transfer with the stipend.
                    let to := calldataload(add(pos, apart))
                    if iszero(call(0, to, amount, 0, 0, 0, 0)) {
                        refuse(and(to, 0xffffffffffffffffffffffffffffffffffffffff), amount, owedSlot, owedEvent)
                        refused := add(refused, amount)
                    }
                }
                if shr(200, any) { revert(0, 0) }
            }
        }
        uint256 free = reserved;
        free = before > free ? before - free : 0;
        if (total > free) revert InsufficientFunds(total, free);
        if (refused != 0) _reserve(refused);
    }

    /// @dev transfer(to, amount) for `n` payouts read as in `_payNative`,
    /// through one reused call buffer. Success means the call did not revert
    /// and returned nothing or a word equal to 1 (OpenZeppelin SafeERC20's
    /// rule); the token's code was checked at deployment, so "nothing"
    /// cannot mean "no code". The token's own checks cover the funds.
    function _payToken(uint256 pos, uint256 n, uint256 apart) private returns (uint256 total) {
        address t = token;
        bytes4 failed = TransferFailed.selector;
        // The transfer is written out in both loops: as a Yul function it
        // was not inlined and cost 50 gas a recipient more.
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mstore(buf, 0xa9059cbb00000000000000000000000000000000000000000000000000000000)
            let end := add(pos, shl(5, n))
            switch apart
            case 0 {
                for {} lt(pos, end) { pos := add(pos, 0x20) } {
                    let w := calldataload(pos)
                    let amount := and(w, 0xffffffffffffffffffffffff)
                    total := add(total, amount)
                    mstore(add(buf, 4), shr(96, w))
                    mstore(add(buf, 36), amount)
                    if iszero(
                        and(
                            call(gas(), t, 0, buf, 68, 0, 32),
                            or(iszero(returndatasize()), and(gt(returndatasize(), 31), eq(mload(0), 1)))
                        )
                    ) {
                        mstore(0, failed)
                        revert(0, 4)
                    }
                }
            }
            default {
                let any := 0
                for {} lt(pos, end) { pos := add(pos, 0x20) } {
                    let amount := calldataload(pos)
                    any := or(any, amount)
                    total := add(total, amount)
                    mstore(add(buf, 4), calldataload(add(pos, apart)))
                    mstore(add(buf, 36), amount)
                    if iszero(
                        and(
                            call(gas(), t, 0, buf, 68, 0, 32),
                            or(iszero(returndatasize()), and(gt(returndatasize(), 31), eq(mload(0), 1)))
                        )
                    ) {
                        mstore(0, failed)
                        revert(0, 4)
                    }
                }
                if shr(200, any) { revert(0, 0) }
            }
        }
    }

    /// @notice Withdraws the native payouts the caller's contract refused,
    /// to itself, with all the gas it needs this time.
    function withdraw() external {
        _withdraw(payable(msg.sender));
    }

    /// @notice Withdraws the native payouts the caller refused to `to`: for
    /// a contract that cannot receive IOTX at all.
    function withdrawTo(address payable to) external {
        _withdraw(to);
    }

    function _withdraw(address payable to) private {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingOwed();
        owed[msg.sender] = 0;
        reserved -= uint96(amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
        emit Withdrawn(msg.sender, amount);
    }

    // ---------------------------------------------------------------- claim

    /// @notice Publishes an epoch's Merkle root, once. `total` is what its
    /// leaves add up to: the contract must hold it beyond what older epochs
    /// still owe and what is reserved, and the epoch's claims never pay more.
    function setRoot(uint64 epoch, bytes32 root, uint256 total) external onlyOwner mode(true) {
        if (root == bytes32(0)) revert ZeroRoot();
        if (roots[epoch] != bytes32(0)) revert RootAlreadySet(epoch);
        uint256 committed = _outstanding() + reserved;
        uint256 balance = _balance();
        uint256 available = balance > committed ? balance - committed : 0;
        if (total > available) revert InsufficientFunds(total, available);
        roots[epoch] = root;
        remaining[epoch] = total;
        if (total != 0) openEpochs.push(epoch);
        emit RootSet(epoch, root, total);
    }

    /// @notice What the open epochs' claims may still pay, together.
    function outstanding() external view returns (uint256 sum) {
        for (uint256 i = 0; i < openEpochs.length; i++) {
            sum += remaining[openEpochs[i]];
        }
    }

    /// @notice Whether leaf `index` of `epoch` has been claimed.
    function isClaimed(uint64 epoch, uint256 index) external view returns (bool) {
        return claimedBits[epoch][index >> 8] & (1 << (index & 0xff)) != 0;
    }

    /// @notice Pays `account` its leaf of `epoch`. Anyone may submit it; the
    /// funds always go to `account`. Leaves are OpenZeppelin
    /// StandardMerkleTree leaves of (uint256 index, address account, uint256
    /// amount): keccak256(bytes.concat(keccak256(abi.encode(index, account,
    /// amount)))), pairs hashed sorted. The index is the claim's bit.
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
        // The double hash in scratch memory rather than through two
        // allocations; the free memory pointer does not move.
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
        uint256 left = remaining[epoch];
        if (amount > left) revert ExceedsTotal(epoch, amount, left);
        claimedBits[epoch][word] = bits | bit;
        unchecked {
            remaining[epoch] = left - amount;
        }
        _pay(account, amount);
        emit Claimed(epoch, index, account, amount);
    }

    // -------------------------------------------------------------- private

    /// @dev Sums `remaining` over the open epochs and drops those that owe
    /// nothing any more, so the list is only as long as the open epochs.
    function _outstanding() private returns (uint256 sum) {
        uint256 n = openEpochs.length;
        for (uint256 i = 0; i < n;) {
            uint256 r = remaining[openEpochs[i]];
            if (r == 0) {
                n--;
                openEpochs[i] = openEpochs[n];
                openEpochs.pop();
            } else {
                sum += r;
                i++;
            }
        }
    }

    function _reserve(uint256 amount) private {
        uint256 r = reserved + amount;
        if (r > type(uint96).max) revert InsufficientFunds(r, type(uint96).max);
        reserved = uint96(r);
    }

    function _balance() private view returns (uint256) {
        if (token == address(0)) return address(this).balance;
        (bool ok, bytes memory data) = token.staticcall(abi.encodeWithSelector(0x70a08231, address(this)));
        if (!ok || data.length < 32) revert TransferFailed();
        return abi.decode(data, (uint256));
    }

    /// @dev One payout: native with the stipend only (a refusal is owed, as
    /// in a batch), ERC-20 by SafeERC20's success rule.
    function _pay(address to, uint256 amount) private {
        if (token == address(0)) {
            bool ok;
            assembly ("memory-safe") {
                ok := call(0, to, amount, 0, 0, 0, 0)
            }
            if (!ok) {
                owed[to] += amount;
                _reserve(amount);
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
